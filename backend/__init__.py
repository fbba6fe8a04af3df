"""Bikri service: the order desk behind the WordPress plugin."""
