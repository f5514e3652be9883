"""Outbound requests: every one goes through :mod:`flask_broadcasts.outbound.ssrf`."""

from __future__ import annotations

from .ssrf import CheckedURL, OutboundResponse, RefusedURL, check_url, parse_networks, request

__all__ = ["CheckedURL", "OutboundResponse", "RefusedURL", "check_url", "parse_networks", "request"]
