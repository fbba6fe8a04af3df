"""Notifications (issue 21, N1 and N2): status messages to customers, delivery alerts to the shop."""
