"""Abandoned checkouts (O9), their SMS reminders (N3) and the reasons shoppers give (U4)."""
