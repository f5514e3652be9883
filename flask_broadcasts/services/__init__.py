"""Services: plain functions over ids and values; they know nothing of HTTP."""
