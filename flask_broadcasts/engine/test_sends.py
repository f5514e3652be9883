"""Test sends: a campaign's message, sent at once to a few addresses, before (or while) it runs.

Rendered like a run's message (:func:`~flask_broadcasts.engine.recipients.compile_template`)
with the bindings of one member of the audience — the one named, else its first, else
none — and handed to the same channels a run uses, with a short timeout; the subject
starts with ``[Test] ``. Any campaign status will do, ``draft`` included. Nothing of it is
a ``broadcast-message`` or counted in a campaign counter: the ``broadcast_test_sends`` row
keeps the addresses and what each got.

At most ``BROADCASTS_TEST_SEND_LIMIT`` per organization per hour, counted from those rows
(every web process sees the same count); then a 429 whose ``Retry-After`` says when the
oldest of the hour leaves the window.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..channels.base import Channel, Deferred, OutcomeUnknown, RetryLater, Sent
from ..channels.mail import MailChannel, UnsubscribeLinks
from ..channels.sms import SmsChannel
from ..channels.smtp import MailSettings
from ..errors import InvalidInputError, NotFoundError, TooManyRequestsError
from ..host import RecipientMixin
from ..models import BroadcastCampaign, BroadcastTestSend, utcnow
from ..rendering.engine import RecipientData
from ..rendering.numbers import UnusableNumber, e164
from ..services._common import get_scoped
from ..services.campaigns import get_campaign
from ..services.suppressions import normalize_address, suppressed_addresses
from ..state import get_state
from ..statuses import ChannelStatus
from .recipients import audience_recipients, compile_template, recipient_data
from .run_mime import mime_builder
from .unsubscribe import public_prefix

__all__ = ["MAX_ADDRESSES", "SUBJECT_PREFIX", "create_test_send", "get_test_send"]

#: How many addresses one test send may name.
MAX_ADDRESSES = 10
SUBJECT_PREFIX = "[Test] "
_WINDOW = timedelta(hours=1)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TO = "/data/attributes/to"
#: Where a test e-mail's or SMS's unsubscribe link points: no message stands behind it, so the
#: page says the link is not valid and nothing is suppressed.
_TEST_LINK = "/broadcast-unsubscribe/test-send"


@dataclass(frozen=True)
class _Target:
    to: str
    channel: str


def _targets(to: Sequence[Any], channels: Sequence[str]) -> list[_Target]:
    """Each address with its channel; a 422 at ``/data/attributes/to/<i>`` for one that is neither."""
    if not isinstance(to, (list, tuple)) or not 1 <= len(to) <= MAX_ADDRESSES:
        raise InvalidInputError(f"Give 1 to {MAX_ADDRESSES} addresses.", pointer=_TO, code="invalid_test_addresses")
    targets = []
    for index, address in enumerate(to):
        text = address.strip() if isinstance(address, str) else ""
        if text.startswith("+"):
            try:
                targets.append(_Target(e164(text), "sms"))
            except UnusableNumber as error:
                raise InvalidInputError(
                    f"{text!r} is not a mobile number in E.164 form: {error.detail}.",
                    pointer=f"{_TO}/{index}",
                    code="invalid_test_address",
                ) from None
        elif _EMAIL.fullmatch(text):
            targets.append(_Target(text, "mail"))
        else:
            raise InvalidInputError(
                "An e-mail address or an E.164 mobile number (+ and country code).",
                pointer=f"{_TO}/{index}",
                code="invalid_test_address",
            )
        if targets[-1].channel not in channels:
            raise InvalidInputError(
                f"The campaign's template has no {targets[-1].channel} channel.",
                pointer=f"{_TO}/{index}",
                code="channel_not_in_template",
            )
    return targets


def _within_limit(organization_id: str, now: datetime) -> None:
    limit = get_state().settings.test_send_limit
    session = get_state().session
    since = now - _WINDOW
    recent = (
        sa.select(BroadcastTestSend.created_at)
        .where(BroadcastTestSend.organization_id == str(organization_id), BroadcastTestSend.created_at > since)
        .order_by(BroadcastTestSend.created_at.desc())
        .limit(max(limit, 0) + 1)
    )
    times = session.execute(recent).scalars().all()
    if len(times) >= limit:
        # The one that must leave the window before another fits.
        oldest = times[limit - 1] if limit > 0 else now
        wait = max(1, math.ceil((oldest + _WINDOW - now).total_seconds())) if limit > 0 else 3600
        raise TooManyRequestsError(
            f"At most {limit} test sends per hour; try again in {wait} s.", retry_after=wait, code="test_send_limit"
        )


def _member(campaign: BroadcastCampaign, recipient: tuple[str, str] | None) -> tuple[RecipientMixin | None, Any]:
    """The audience member whose bindings the test uses (named, else the first), and its source."""
    try:
        source, stmt = audience_recipients(campaign.audience)
    except LookupError:
        if recipient is not None:
            raise _not_a_member(recipient) from None
        return None, None
    if recipient is not None:
        type_, id_ = recipient
        key = sa.inspect(source.model).primary_key[0]
        member = None
        if type_ == source.resource_type:
            try:
                member = get_state().session.scalars(stmt.where(key == key.type.python_type(id_)).limit(1)).first()
            except (TypeError, ValueError):
                member = None
        if member is None:
            raise _not_a_member(recipient)
        return member, source
    return get_state().session.scalars(stmt.limit(1)).first(), source


def _not_a_member(recipient: tuple[str, str]) -> NotFoundError:
    type_, id_ = recipient
    return NotFoundError(
        f"No {type_} {id_} in the campaign's audience.", pointer="/data/relationships/recipient/data", code="not_found"
    )


class _TestMessage:
    """What a channel reads of a message, for one address of a test send."""

    def __init__(self, rendered: Any, target: _Target, test_send_id: int, index: int) -> None:
        self.subject = SUBJECT_PREFIX + (rendered.subject or "")
        self.body = rendered.body
        self.body_short = rendered.body_short
        self.action_label = rendered.action_label
        self.action_url = rendered.action_url
        self.email = target.to if target.channel == "mail" else None
        self.mobile = target.to if target.channel == "sms" else None
        self.channels = [target.channel]
        self.mail_status = self.sms_status = None
        # Its own Message-ID, never one a run's message could have.
        self.recipient_type = "test-sends"
        self.recipient_id = f"{test_send_id}-{index}"


def create_test_send(
    organization_id: str,
    campaign_id: Any,
    to: Sequence[Any],
    *,
    recipient: tuple[str, str] | None = None,
    now: datetime | None = None,
) -> BroadcastTestSend:
    """Send the campaign's message to ``to`` now, and keep what each address got.

    :param recipient: ``(type, id)`` of the audience member whose bindings are used.
    :raises NotFoundError: no such campaign (or recipient in its audience).
    :raises InvalidInputError: an address is neither an e-mail address nor an E.164
        mobile number, or its channel is not the template's.
    :raises TooManyRequestsError: the organization's hourly limit is reached.
    """
    state = get_state()
    session = state.session
    now = now or utcnow()
    campaign = get_campaign(organization_id, campaign_id)
    targets = _targets(to, tuple(campaign.template.channels or ()))
    _within_limit(organization_id, now)
    member, source = _member(campaign, recipient)
    data = recipient_data(member) if member is not None else RecipientData()
    # The member's bindings and locale; its own contact details are not used.
    rendered = compile_template(campaign.template).render(RecipientData(bindings=data.bindings, locale=data.locale))
    campaign_ref = campaign.id  # the commit below expires the campaign
    test_send = BroadcastTestSend(
        organization_id=str(organization_id),
        campaign_id=campaign.id,
        recipient_type=source.resource_type if member is not None else None,
        recipient_id=member.broadcast_id if member is not None else None,
        to=[t.to for t in targets],
        results=[],
        created_at=now,
    )
    session.add(test_send)
    session.commit()  # counted in the limit from now on, whatever happens while sending
    results = []
    channels: dict[str, Channel] = {}
    try:
        for index, target in enumerate(targets):
            if _is_suppressed(str(organization_id), target):
                outcome = {"status": ChannelStatus.SUPPRESSED.value, "error": "on the organization's suppression list"}
            else:
                message = _TestMessage(rendered, target, test_send.id, index)
                outcome = _deliver(channels, campaign_ref, target, message)
            results.append({"to": target.to, "channel": target.channel, **outcome})
    finally:
        for channel in channels.values():
            channel.close()
    test_send.results = results
    session.commit()
    return test_send


def _is_suppressed(organization_id: str, target: _Target) -> bool:
    """Whether the organization's suppression list holds the address for its channel (never sent to)."""
    address = normalize_address(target.channel, target.to)
    return bool(suppressed_addresses(get_state().session, organization_id, target.channel, {address}))


def _test_link() -> str | None:
    try:
        return public_prefix(get_state().settings) + _TEST_LINK
    except LookupError:
        return None


def _channel(channels: dict[str, Channel], campaign_id: int, name: str) -> Channel:
    channel = channels.get(name)
    if channel is None:
        state = get_state()
        link = _test_link()
        if name == "mail":
            builder = mime_builder(state.session, campaign_id, "test")
            settings = MailSettings.from_app(current_app)
            links = UnsubscribeLinks(lambda message: link) if link is not None else None
            # A test send is no stored message: its bounces go to the bounce mailbox, untokened,
            # and change nothing (a bounce of a test must not suppress the tester's address).
            bounce_address = state.settings.bounce_address
            channel = MailChannel(
                builder,
                settings,
                timeout=state.settings.test_send_timeout,
                unsubscribe=links,
                signer=state.dkim_signer,
                envelope_for=(lambda message: bounce_address) if bounce_address else None,
            )
        else:
            url_for = (lambda message: link) if link is not None else None
            channel = SmsChannel(state.sms_provider, status_callback=None, unsubscribe_url_for=url_for)
        channels[name] = channel
    return channel


def _deliver(channels: dict[str, Channel], campaign_id: int, target: _Target, message: Any) -> dict:
    try:
        outcome = _channel(channels, campaign_id, target.channel).deliver(
            message, before_handover=lambda: None, following=None
        )
    except OutcomeUnknown as error:
        return {"status": ChannelStatus.UNKNOWN.value, "error": error.detail}
    except RetryLater as error:  # the server is down or deferred us: nothing was accepted
        channels.pop(target.channel, None)
        return {"status": ChannelStatus.REFUSED.value, "error": f"temporary: {error.detail}"}
    if isinstance(outcome, Sent):
        return {"status": ChannelStatus.SENT.value, "error": None}
    if isinstance(outcome, Deferred):
        return {"status": ChannelStatus.REFUSED.value, "error": f"temporary: {outcome.detail}"}
    return {"status": ChannelStatus.REFUSED.value, "error": outcome.detail}


def get_test_send(organization_id: str, test_send_id: Any) -> BroadcastTestSend:
    """Test send ``test_send_id`` of the organization. :raises NotFoundError: none such."""
    return get_scoped(BroadcastTestSend, organization_id, test_send_id, "test send")
