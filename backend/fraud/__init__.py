"""Fraud check of a customer's phone (F1): courier history, this shop's orders, Bikri-wide counts."""
