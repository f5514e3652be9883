"""Services: plain functions over ids and explicit collaborators (no HTTP, no RQ)."""
