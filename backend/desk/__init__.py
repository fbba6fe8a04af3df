"""The order desk (O1–O7): the shop's order list, status changes, manual orders with
sequential discounts, tags and the new-order sound. Reads the orders read model
(backend/orders), writes through WooCommerce's REST API and stores WooCommerce's answer
with the one upsert (backend/orders/service.py)."""
