"""Licenses, the sites that use them, and bearer authentication of those sites."""
