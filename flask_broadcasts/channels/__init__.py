"""Delivery channels: e-mail over SMTP (configured like Flask-Mail) and SMS providers."""
