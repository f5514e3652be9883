"""Deprecated: the delivery channels live in :mod:`flask_broadcasts.channels` since 0.2
(this package keeps :mod:`flask_broadcasts.delivery.sms` as an alias for one release)."""
