"""Adapters to the outside world (WooCommerce, couriers, SMS gateways, payments), each behind
one small base class and a registry, so callers never branch on which one they talk to."""
