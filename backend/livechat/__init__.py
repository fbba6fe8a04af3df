"""Live chat with shoppers on the shop's storefront (H2)."""
