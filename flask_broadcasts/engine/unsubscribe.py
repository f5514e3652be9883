"""One-click unsubscribe (RFC 8058): the link of each message, and what following it does.

The link is ``BROADCASTS_PUBLIC_URL`` + the plain blueprint's prefix +
``/broadcast-unsubscribe/<token>``. The token (:data:`UNSUBSCRIBE`, a salt of its own)
carries the organization, the channel and the message id — never the address, since a
signed token is readable — and verifies without a lookup; only a genuine one reaches the
database, to find the message's address and put it on the organization's suppression list
(:func:`~flask_broadcasts.services.suppressions.suppress`).

A message's token is signed at the time the message was stored, so its link is the same
whenever it is built; the link stays valid ``BROADCASTS_UNSUBSCRIBE_MAX_AGE`` from the time
the message was sent (from the token's time for a message not sent or no longer kept).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..channels.mail import UnsubscribeLinks
from ..config import Settings
from ..models import BroadcastMessage
from ..rendering.locale import lookup_chain, normalize_locale_tag
from ..rendering.unsubscribe_texts import texts_for
from ..services.suppressions import suppress
from ..signing import InvalidToken, TokenKind, TokenMinter, verify_stamped
from ..state import get_state
from ..statuses import ConsentMethod, SuppressionReason, SuppressionSource
from .report_counts import Deltas, add_report_counts
from .suppression import address_of

__all__ = [
    "UNSUBSCRIBE",
    "UNSUBSCRIBE_PATH",
    "InvalidToken",
    "UnsubscribeLink",
    "batch_links",
    "sms_link",
    "locale_chain",
    "public_prefix",
    "read_link",
    "unsubscribe",
    "unsubscribe_url",
]

#: The kind (salt) of unsubscribe tokens: no other endpoint accepts them.
UNSUBSCRIBE = TokenKind("flask-broadcasts.unsubscribe")
#: The route on the plain blueprint, under its prefix.
UNSUBSCRIBE_PATH = "/broadcast-unsubscribe/<token>"


@dataclass(frozen=True)
class UnsubscribeLink:
    """What a valid token says, and the message it names (``None`` once purged)."""

    organization_id: str
    channel: str
    message_id: int
    message: BroadcastMessage | None

    @property
    def locale_chain(self) -> tuple[str, ...]:
        """The message's locale, then its parents (``fr-CA``, ``fr``), for the page's texts."""
        return locale_chain(self.message.locale if self.message is not None else None)


def locale_chain(locale: str | None) -> tuple[str, ...]:
    """``locale`` and its parents, most specific first (nothing for none or a junk tag)."""
    try:
        return lookup_chain(normalize_locale_tag(locale)) if locale else ()
    except ValueError:
        return ()


def sms_link(settings: Settings) -> Callable[[Any], str] | None:
    """A message → its SMS unsubscribe link (``None`` without ``BROADCASTS_PUBLIC_URL``)."""
    try:
        base = public_prefix(settings)
    except LookupError:
        return None
    return _links(base, "sms")


def batch_links(settings: Settings) -> UnsubscribeLinks | None:
    """The unsubscribe links of a batch's e-mails (``None`` without ``BROADCASTS_PUBLIC_URL``)."""
    try:
        base = public_prefix(settings)
    except LookupError:
        return None
    footers: dict[str | None, str] = {}

    def footer_for(message: Any) -> str:
        # One text per locale: a batch has a handful, and its footers are fixed tables.
        locale = getattr(message, "locale", None)
        footer = footers.get(locale)
        if footer is None:
            footer = footers[locale] = texts_for(locale_chain(locale))["footer"]
        return footer

    return UnsubscribeLinks(
        _links(base, "mail"),
        mailto=settings.unsubscribe_mailto,
        footer_for=footer_for if settings.unsubscribe_footer else None,
    )


def _links(base: str, channel: str) -> Callable[[Any], str]:
    """A message → its ``channel`` link under ``base``: :func:`unsubscribe_url` with what is the
    same for every message of a batch (the URL's start, the minter) made once."""
    start = _link_start(base)
    minter = _LazyMinter()
    return lambda message: start + _token(message, channel, minter())


class _LazyMinter:
    """A batch's one :class:`TokenMinter`, made at the first link it signs (a batch that
    signs none needs no ``SECRET_KEY``)."""

    def __init__(self) -> None:
        self._minter: TokenMinter | None = None

    def __call__(self) -> TokenMinter:
        if self._minter is None:
            self._minter = TokenMinter(UNSUBSCRIBE)
        return self._minter


def public_prefix(settings: Settings) -> str:
    """``BROADCASTS_PUBLIC_URL`` + the plain blueprint's prefix, without a trailing slash."""
    if not settings.public_url:
        raise LookupError("BROADCASTS_PUBLIC_URL is not set")
    prefix = settings.events_url_prefix or settings.url_prefix or ""
    return settings.public_url.rstrip("/") + "/" + prefix.strip("/")


def unsubscribe_url(message: Any, channel: str, *, base: str, minter: TokenMinter | None = None) -> str:
    """The one-click link of one stored message (``id``, ``organization_id``, ``created_at``)
    for ``channel``; ``base``: :func:`public_prefix`. Give a batch's messages one ``minter``."""
    return _link_start(base) + _token(message, channel, minter or TokenMinter(UNSUBSCRIBE))


def _link_start(base: str) -> str:
    return f"{base.rstrip('/')}/broadcast-unsubscribe/"


def _token(message: Any, channel: str, minter: TokenMinter) -> str:
    return minter.sign([str(message.organization_id), channel, int(message.id)], at=message.created_at)


def read_link(token: str) -> UnsubscribeLink:
    """The link a token stands for.

    :raises InvalidToken: forged, altered, of another kind, or older than
        ``BROADCASTS_UNSUBSCRIBE_MAX_AGE``.
    """
    state = get_state()
    payload, signed_at = verify_stamped(UNSUBSCRIBE, token)
    if (
        not isinstance(payload, list)
        or len(payload) != 3
        or not isinstance(payload[0], str)
        or payload[1] not in ("mail", "sms")
        or type(payload[2]) is not int
    ):
        raise InvalidToken("not an unsubscribe token")
    organization_id, channel, message_id = payload
    message = state.session.execute(
        select(BroadcastMessage).where(
            BroadcastMessage.id == message_id, BroadcastMessage.organization_id == organization_id
        )
    ).scalar_one_or_none()
    valid_from = _aware(message.sent_at) if message is not None and message.sent_at is not None else signed_at
    if datetime.now(UTC) - valid_from > timedelta(seconds=state.settings.unsubscribe_max_age):
        raise InvalidToken("this link has expired")
    return UnsubscribeLink(organization_id, channel, message_id, message)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def unsubscribe(
    link: UnsubscribeLink, *, method: ConsentMethod = ConsentMethod.ONE_CLICK, ip: str | None = None
) -> bool:
    """Suppress the link's address for its organization and channel; ``True`` when newly added.

    Idempotent: following the link again records nothing more. The consent record says
    ``method`` (``one_click`` for a provider's POST, ``page`` for the page's button), the
    message, and a keyed HMAC of ``ip``.

    :raises LookupError: the message is gone (purged) or has no address for the channel.
    """
    message = link.message
    address = address_of(link.channel, message.email, message.mobile) if message is not None else None
    if address is None:
        raise LookupError("this link's message is no longer kept")
    assert message is not None  # an address was found on it
    added = suppress(
        link.organization_id,
        link.channel,
        address,
        SuppressionReason.UNSUBSCRIBED,
        {"kind": SuppressionSource.MESSAGE.value, "id": str(link.message_id)},
        commit=False,
        method=method,
        message_id=link.message_id,
        ip=ip,
    )
    if added:  # the report's unsubscribed, once per address (engine.report_counts)
        deltas: Deltas = Counter({(link.channel, "unsubscribed", ""): 1})
        add_report_counts(get_state().session, message.campaign_id, message.run_key, deltas)
    get_state().session.commit()
    return added
