"""SMS: a prepaid wallet per site, priced by segments, sent through a gateway adapter (S1–S8)."""
