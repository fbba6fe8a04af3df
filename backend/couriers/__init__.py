"""Couriers: shops' courier accounts and settings, consignments and their statuses, polling,
the delivery report (C1–C9, P3). Adapters live in backend/integrations/couriers/."""
