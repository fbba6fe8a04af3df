"""Checkout protection: phone OTP at checkout (F3, F4), the blacklist (F2) and the OTP report (F5)."""
