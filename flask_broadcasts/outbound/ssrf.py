"""The SSRF guard of every outbound request (webhooks; SNS certificates and subscriptions later).

Two steps, kept apart so a request always goes where it was checked:

* :func:`check_url` parses a URL, resolves its host and refuses it unless **every**
  address it resolves to is a public unicast one (no private, loopback, link-local,
  multicast, reserved, ``0.0.0.0`` or IPv4-mapped address) or lies in an allowed
  network. It answers a :class:`CheckedURL` carrying the address it checked.
* :func:`request` connects to that address (never resolving the name again, so a DNS
  answer that changes between check and connection cannot redirect it), sends the
  original host in ``Host`` and, over TLS, as SNI and for the certificate check, and
  follows no redirect: a 3xx is an answer like any other.

``https`` only unless the caller allows ``http`` (a setting). Standard library only.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import BroadcastsError

__all__ = ["CheckedURL", "OutboundResponse", "RefusedURL", "check_url", "parse_networks", "request"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The most of an answer's body that is read (what a delivery log keeps is much less).
MAX_RESPONSE_BYTES = 64 * 1024


class RefusedURL(BroadcastsError):
    """The URL may not be requested: not https, no host, or a refused address (``detail`` says which)."""


@dataclass(frozen=True)
class CheckedURL:
    """A URL that passed :func:`check_url`, with the address that was checked."""

    url: str
    scheme: str
    host: str
    port: int
    #: Path and query, as sent in the request line.
    target: str
    address: str


@dataclass(frozen=True)
class OutboundResponse:
    """What the server answered: status, headers, the start of the body, the time it took."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    duration: float


def parse_networks(values: Iterable[str] | str | None) -> tuple[Network, ...]:
    """Networks from a setting: a list of CIDR strings, or that list as a JSON string.

    :raises ValueError: not a list of networks.
    """
    if values is None:
        return ()
    if isinstance(values, str):
        import json

        values = json.loads(values) if values.strip() else []
        if not isinstance(values, list):
            raise ValueError("expected a JSON list of networks")
    return tuple(ipaddress.ip_network(str(value), strict=False) for value in values)


def refusal(address: IPAddress, allowed: Iterable[Network] = ()) -> str | None:
    """Why ``address`` may not be connected to, or ``None`` when it may."""
    if any(address.version == network.version and address in network for network in allowed):
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return "an IPv4-mapped IPv6 address"
    for kind, flag in (
        ("an unspecified", address.is_unspecified),
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("a private", address.is_private),
        ("a reserved", address.is_reserved),
    ):
        if flag:
            return f"{kind} address"
    if not address.is_global:  # shared (100.64/10), documentation ranges...
        return "a non-global address"
    return None


def check_url(
    url: str,
    *,
    allow_http: bool = False,
    allowed_networks: Iterable[Network] = (),
    resolve: bool = True,
) -> CheckedURL:
    """Parse ``url`` and check where it goes (see the module docstring).

    :param resolve: ``False`` checks only what the URL itself says (an IP literal); a
        name is then not looked up (for a quick check of input).
    :raises RefusedURL: with a ``detail`` fit to show to whoever gave the URL.
    """
    allowed = tuple(allowed_networks)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedURL(f"Not a valid URL ({exc}).") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_http and scheme == "http"):
        raise RefusedURL("Must be an https URL." if not allow_http else "Must be an http or https URL.")
    host = parts.hostname
    if not host:
        raise RefusedURL("Must name a host.")
    if parts.username is not None or parts.password is not None:
        raise RefusedURL("Must not carry a user name or password.")
    port = port or (443 if scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    elif not resolve:
        return CheckedURL(url, scheme, host, port, target, "")
    else:
        addresses = _resolve(host, port)
    for address in addresses:
        why = refusal(address, allowed)
        if why is not None:
            shown = host if literal is not None else f"{host} ({address})"
            raise RefusedURL(f"{shown} is {why}, which outbound requests may not reach.")
    return CheckedURL(url, scheme, host, port, target, str(addresses[0]))


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedURL(f"{host} does not resolve ({exc}).") from None
    seen: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    if not seen:
        raise RefusedURL(f"{host} does not resolve.")
    return seen


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked address (the name is only the ``Host`` header)."""

    def __init__(self, checked: CheckedURL, timeout: float) -> None:
        super().__init__(checked.host, checked.port, timeout=timeout)
        self.checked = checked

    def connect(self) -> None:
        self.sock = socket.create_connection((self.checked.address, self.checked.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """A TLS connection to a checked address; SNI and the certificate check use the host name."""

    def __init__(self, checked: CheckedURL, timeout: float, context: ssl.SSLContext | None) -> None:
        super().__init__(checked.host, checked.port, timeout=timeout, context=context or ssl.create_default_context())
        self.checked = checked

    def connect(self) -> None:
        sock = socket.create_connection((self.checked.address, self.checked.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.checked.host)  # type: ignore[attr-defined]


def request(
    checked: CheckedURL,
    *,
    method: str = "POST",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    ssl_context: ssl.SSLContext | None = None,
) -> OutboundResponse:
    """Send one request to the address ``checked`` holds; never follows a redirect.

    :raises OSError: the connection failed or timed out (``TimeoutError``).
    :raises http.client.HTTPException: the answer was not HTTP.
    """
    if not checked.address:
        raise RefusedURL("The URL was checked without resolving it; check it again before requesting it.")
    connection: http.client.HTTPConnection
    if checked.scheme == "https":
        connection = _PinnedHTTPSConnection(checked, timeout, ssl_context)
    else:
        connection = _PinnedHTTPConnection(checked, timeout)
    started = time.monotonic()
    try:
        connection.request(method, checked.target, body=body, headers=dict(headers or {}))
        answer = connection.getresponse()
        data = answer.read(MAX_RESPONSE_BYTES)
        return OutboundResponse(
            status=answer.status,
            headers={k.lower(): v for k, v in answer.getheaders()},
            body=data,
            duration=time.monotonic() - started,
        )
    finally:
        connection.close()
