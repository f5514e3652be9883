"""The ``Origin`` check of the websocket upgrade (cross-site websocket hijacking guard)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def normalize_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port; ``None`` if not an origin."""
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def origin_allowed(origin: str | None, host: str, allowed: Iterable[str] | str) -> bool:
    """Whether a socket may be opened from ``origin``.

    No ``Origin`` header (a non-browser client) is allowed: such clients still need a
    token. A browser's origin must be the same as the ``Host`` it connects to, or one of
    ``allowed`` (``BROADCASTS_WS_ALLOWED_ORIGINS``). ``null`` is never allowed.
    """
    if origin is None:
        return True
    if isinstance(allowed, str):  # set from an environment variable: "https://a, https://b"
        allowed = allowed.split(",")
    normalized = normalize_origin(origin)
    if normalized is None:
        return False
    if normalized in {normalize_origin(o) for o in allowed}:
        return True
    scheme = normalized.split("://", 1)[0]
    return normalized == normalize_origin(f"{scheme}://{host}")
