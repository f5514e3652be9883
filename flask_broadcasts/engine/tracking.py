"""Open and click tracking: the signed URLs of a message, and what an open or a click records.

Off unless the campaign has ``track_opens`` / ``track_clicks``. A token is signed without a
timestamp (:func:`~flask_broadcasts.signing.sign_stable`), so every copy of a message
(a resend, the API's rendering of it) has the same URLs; it carries ids only: the
organization, the message and, for a click, the link's index. The redirect target is the
link at that index in the message's own stored texts rendered again (no URL is ever read
from the request: no open redirect; an index it does not have → :class:`NoSuchLink`).

**Machine activity** is recorded apart (``machine``) and never counts as an open or a
click: a ``HEAD`` request, anything within ``BROADCASTS_TRACKING_MACHINE_SECONDS`` of the
message's ``sent_at`` (security scanners fetch every URL of an incoming e-mail), and a
request from one of ``BROADCASTS_TRACKING_MACHINE_NETWORKS`` or whose user agent contains
one of ``BROADCASTS_TRACKING_MACHINE_USER_AGENTS`` (image proxies, link scanners). The IP
address and the user agent decide that and are not kept.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exists, select

from ..channels.mail_layout import content_html
from ..channels.tracking import Tracking, tracked_links
from ..config import Settings
from ..models import BroadcastCampaign, BroadcastMessage, BroadcastTrackingEvent, utcnow
from ..services.message_texts import fill_texts
from ..signing import InvalidToken, TokenKind, sign_stable, verify_stable
from ..state import get_state
from .report_counts import Deltas, add_report_counts, hour_key
from .unsubscribe import public_prefix

__all__ = [
    "CLICK",
    "OPEN",
    "InvalidToken",
    "NoSuchLink",
    "TrackingRequest",
    "batch_tracking",
    "click_url",
    "follow_click",
    "is_machine",
    "open_url",
    "record_open",
]

OPEN = TokenKind("broadcasts.track-open")
CLICK = TokenKind("broadcasts.track-click")
#: Where the plain blueprint serves them.
OPEN_PATH = "/broadcast-t/o/<token>.gif"
CLICK_PATH = "/broadcast-t/c/<token>"

_TOKEN = re.compile(r"\.?[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")  # "." first: compressed
_events: sa.Table = BroadcastTrackingEvent.__table__  # type: ignore[assignment]


class NoSuchLink(LookupError):
    """A valid click token whose message has no link at its index (a 400, not a redirect)."""


@dataclass(frozen=True)
class TrackingRequest:
    """What the HTTP layer tells about a request: only what decides ``machine``."""

    head: bool = False
    ip: str | None = None
    user_agent: str | None = None


def open_url(organization_id: str, message_id: int, *, base: str) -> str:
    """The open pixel's URL of one message (``base``: :func:`~.unsubscribe.public_prefix`)."""
    return f"{base.rstrip('/')}/broadcast-t/o/{sign_stable(OPEN, [str(organization_id), int(message_id)])}.gif"


def click_url(organization_id: str, message_id: int, index: int, *, base: str) -> str:
    """The tracked URL of link ``index`` of one message."""
    token = sign_stable(CLICK, [str(organization_id), int(message_id), int(index)])
    return f"{base.rstrip('/')}/broadcast-t/c/{token}"


def batch_tracking(settings: Settings, *, opens: bool, clicks: bool) -> Callable[[Any], Tracking] | None:
    """A message → its :class:`~flask_broadcasts.channels.tracking.Tracking` (``None``: the
    campaign tracks nothing, or ``BROADCASTS_PUBLIC_URL`` is not set)."""
    if not (opens or clicks):
        return None
    try:
        base = public_prefix(settings)
    except LookupError:
        return None

    def tracking_for(message: Any) -> Tracking:
        organization_id, message_id = message.organization_id, message.id
        return Tracking(
            click_url=(lambda index: click_url(organization_id, message_id, index, base=base)) if clicks else None,
            open_url=open_url(organization_id, message_id, base=base) if opens else None,
        )

    return tracking_for


def _ids(kind: TokenKind, token: str, size: int) -> list[Any]:
    # Only the characters a token is made of: itsdangerous drops non-ASCII ones before it
    # checks, so a genuine token with one appended would verify as a second spelling of it.
    if not _TOKEN.fullmatch(token):
        raise InvalidToken("not a token")
    payload = verify_stable(kind, token)
    if (
        not isinstance(payload, list)
        or len(payload) != size
        or not isinstance(payload[0], str)
        or any(type(value) is not int or value < 0 for value in payload[1:])
    ):
        raise InvalidToken("not a tracking token of this kind")
    return payload


def _message(organization_id: str, message_id: int) -> BroadcastMessage:
    """The token's message, in the token's organization; :raises LookupError: none (404)."""
    message = (
        get_state()
        .session.execute(
            select(BroadcastMessage).where(
                BroadcastMessage.id == message_id, BroadcastMessage.organization_id == organization_id
            )
        )
        .scalar_one_or_none()
    )
    if message is None:
        raise LookupError("no such message")
    return message


def _in_networks(ip: str | None, networks: Any) -> bool:
    if not ip or not networks:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for network in networks:
        try:
            if address in ipaddress.ip_network(str(network), strict=False):
                return True
        except (TypeError, ValueError):  # a host's typo never breaks tracking
            continue
    return False


def is_machine(
    request: TrackingRequest, sent_at: datetime | None, settings: Settings, *, now: datetime | None = None
) -> bool:
    """Whether a request looks like a machine's (see the module docstring)."""
    if request.head:
        return True
    now = now or utcnow()
    if sent_at is not None and now - sent_at < timedelta(seconds=settings.tracking_machine_seconds):
        return True
    if _in_networks(request.ip, settings.tracking_machine_networks):
        return True
    agent = (request.user_agent or "").lower()
    return bool(agent) and any(str(mark).lower() in agent for mark in settings.tracking_machine_user_agents if mark)


def _record(message: BroadcastMessage, kind: str, index: int | None, request: TrackingRequest) -> None:
    """Store the event and add it to the report, once the campaign still tracks ``kind``."""
    state = get_state()
    session = state.session
    flag = BroadcastCampaign.track_opens if kind == "open" else BroadcastCampaign.track_clicks
    if not session.execute(select(flag).where(BroadcastCampaign.id == message.campaign_id)).scalar():
        session.rollback()  # turned off since it was sent: nothing is recorded (privacy first)
        return
    if session.get_bind().dialect.name == "postgresql":
        # One event of a message at a time, so its "first" open or click is counted once.
        session.execute(select(BroadcastMessage.id).where(BroadcastMessage.id == message.id).with_for_update())
    machine = is_machine(request, message.sent_at, state.settings)
    deltas: Deltas = Counter()
    metric = "opened" if kind == "open" else "clicked"
    if machine:
        deltas[("mail", f"{metric}_machine", "")] += 1
    else:
        human = select(_events.c.id).where(
            _events.c.message_id == message.id, _events.c.kind == kind, _events.c.machine.is_(False)
        )
        if not session.execute(select(exists(human))).scalar():
            deltas[("mail", f"{metric}_unique", "")] += 1
        deltas[("mail", metric, "")] += 1
        deltas[("", f"hour_{metric}", hour_key())] += 1
        if index is not None:
            deltas[("mail", "link_clicks", str(index))] += 1
            if not session.execute(select(exists(human.where(_events.c.link_index == index)))).scalar():
                deltas[("mail", "link_unique", str(index))] += 1
    session.execute(
        _events.insert().values(
            organization_id=message.organization_id,
            campaign_id=message.campaign_id,
            message_id=message.id,
            kind=kind,
            link_index=index,
            machine=machine,
            created_at=utcnow(),
        )
    )
    add_report_counts(session, message.campaign_id, message.run_key, deltas)
    session.commit()


def record_open(token: str, request: TrackingRequest) -> None:
    """Record an open of the token's message.

    :raises InvalidToken: forged, altered, of another kind (400).
    :raises LookupError: no such message in the token's organization (404).
    """
    organization_id, message_id = _ids(OPEN, token, 2)
    try:
        message = _message(organization_id, message_id)
        _record(message, "open", None, request)
    except Exception:
        get_state().session.rollback()
        raise


def link_target(message: BroadcastMessage, index: int) -> str:
    """The URL of the message's tracked link ``index``. :raises NoSuchLink: it has none there."""
    fill_texts(get_state().session, [message])
    document, _ = content_html(message.body or "", message.action_label, message.action_url)
    links = tracked_links(document)
    if index >= len(links):
        raise NoSuchLink(f"the message has no link {index}")
    return links[index]


def follow_click(token: str, request: TrackingRequest) -> str:
    """Record a click of the token's link; the URL to redirect to.

    :raises InvalidToken: forged, altered, of another kind (400).
    :raises NoSuchLink: the message has no link at the token's index (400).
    :raises LookupError: no such message in the token's organization (404).
    """
    organization_id, message_id, index = _ids(CLICK, token, 3)
    try:
        message = _message(organization_id, message_id)
        target = link_target(message, index)
        _record(message, "click", index, request)
    except Exception:
        get_state().session.rollback()
        raise
    return target
