"""Delivery channels: how a rendered message leaves the extension (e-mail, SMS)."""
