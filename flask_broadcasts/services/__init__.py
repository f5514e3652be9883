"""Services: plain functions over ids and explicit collaborators; they know nothing of HTTP or RQ."""
