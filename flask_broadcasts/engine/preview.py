"""Draft messages: what a campaign would send to the first recipients of its audience, now.

Nothing is stored. The recipients are read with ``LIMIT`` from the audience's current
query and rendered by :func:`~flask_broadcasts.engine.recipients.message_values`,
the function a run uses to store its messages, with one compiled template. Each
draft is an unsaved :class:`~flask_broadcasts.models.BroadcastMessage` with status
``draft`` and a stable id ``draft-<campaign>-<recipient type>-<recipient id>``, so the
same serializer renders drafts and stored messages and a preview is valid JSON:API.

The counts (:attr:`Preview.recipient_count`, :attr:`Preview.no_channel_count`) are
computed only when asked for (``with_counts``): the drafts cost the same for ten
recipients as for a million, the counts grow with the audience. They are one SQL
query over the audience query when the recipient model's contact details are
plain columns — the :class:`~flask_broadcasts.host.RecipientMixin` defaults reading
``email``/``mobile`` columns, or a :class:`~flask_broadcasts.host.BookingRecipientMixin`
reading them through a ``customer`` relationship. A model that overrides
``broadcast_email``/``broadcast_mobile`` has no SQL form, and neither has the E.164
check an SMS channel needs (:func:`~flask_broadcasts.rendering.numbers.e164`), so such
an audience, and any for an SMS template, is streamed once (``yield_per``) and each
recipient's properties are read: correct, but linear in the audience size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapper, aliased

from ..errors import ConflictError
from ..host import AudienceSource, BookingRecipientMixin, RecipientMixin
from ..models import BroadcastCampaign, BroadcastMessage
from ..rendering.numbers import UnusableNumber, e164
from ..services.campaigns import get_campaign
from ..services.suppressions import has_suppressions
from ..state import get_state
from ..statuses import MessageStatus
from .consent import Consenting, accepts_everyone, consenting, refused
from .recipients import audience_recipients, compile_template, message_values
from .suppression import apply_to_values as apply_suppressions
from .suppression import count_suppressed

__all__ = ["Preview", "draft_id", "preview"]

_STREAM_CHUNK = 500


@dataclass(frozen=True)
class Preview:
    """Draft messages of a campaign and what its audience looks like now.

    :ivar messages: unsaved messages, status ``draft``, in audience order.
    :ivar recipients: the host recipient of each message (same order).
    :ivar source: the audience source the recipients come from.
    :ivar recipient_count: recipients the audience has now (``None`` unless counted).
    :ivar no_channel_count: of those, how many can receive none of the template's channels
        (``None`` unless counted).
    :ivar suppressed_count: of those, how many have a channel the suppression list leaves
        out (``None`` unless counted).
    :ivar no_consent_count: of those, how many the host's opt-in keeps out of a channel they
        could be reached on (``None`` unless counted); counted in the same ``COUNT`` as the
        others when the source declares ``consent_criterion``.
    """

    campaign: BroadcastCampaign
    messages: Sequence[BroadcastMessage]
    recipients: Sequence[RecipientMixin]
    source: AudienceSource
    recipient_count: int | None = None
    no_channel_count: int | None = None
    suppressed_count: int | None = None
    no_consent_count: int | None = None


def draft_id(campaign_id: int, recipient_type: str, recipient_id: str) -> str:
    """The stable id of a draft message (the same recipient always gets the same id)."""
    return f"draft-{campaign_id}-{recipient_type}-{recipient_id}"


def preview(organization_id: str, campaign_id: Any, limit: int | None = None, *, with_counts: bool = False) -> Preview:
    """Render at most ``limit`` draft messages of a campaign (any status) without storing them.

    :param limit: default ``BROADCASTS_PREVIEW_LIMIT`` (10).
    :param with_counts: also count the whole audience and those of it no channel reaches
        (one ``COUNT`` over the audience: its cost grows with the audience).
    :raises NotFoundError: no such campaign in this organization.
    :raises ConflictError: the host registered no source for the audience's type.
    """
    state = get_state()
    limit = state.settings.preview_limit if limit is None else limit
    campaign = get_campaign(organization_id, campaign_id)
    try:
        source, stmt = audience_recipients(campaign.audience)
    except LookupError as err:
        raise ConflictError(f"The audience cannot be read: {err}.", code="audience_unavailable") from err

    compiled = compile_template(campaign.template)
    # The host's opt-in, as columns of the same query (engine.consent): read with each row.
    with_consent = consenting(source, stmt)
    read = [with_consent.read(row) for row in state.session.execute(with_consent.stmt.limit(limit))]
    recipients = [recipient for recipient, _ in read]
    rendered = [message_values(compiled, recipient, source, consent) for recipient, consent in read]
    # What a run would store: the suppression list's channels left out (see engine.suppression).
    apply_suppressions(state.session, campaign.organization_id, rendered)
    messages = []
    for values in rendered:
        values["status"] = MessageStatus.DRAFT.value
        message = BroadcastMessage(
            organization_id=campaign.organization_id,
            campaign_id=campaign.id,
            run_key="draft",
            created_at=None,
            **values,
        )
        message.id = draft_id(campaign.id, values["recipient_type"], values["recipient_id"])  # type: ignore[assignment]
        messages.append(message)

    total: int | None = None
    no_channel: int | None = None
    suppressed: int | None = None
    no_consent: int | None = None
    if with_counts:
        channels = tuple(campaign.template.channels or ())
        total, no_channel, no_consent = _counts(with_consent, source, channels)
        suppressed = _suppressed_count(stmt, campaign.organization_id, channels)
    return Preview(
        campaign=campaign,
        messages=messages,
        recipients=recipients,
        source=source,
        recipient_count=total,
        no_channel_count=no_channel,
        suppressed_count=suppressed,
        no_consent_count=no_consent,
    )


# -- counts ---------------------------------------------------------------------------------


def _usable(column: Any) -> Any:
    return sa.and_(column.is_not(None), sa.func.trim(column) != "")


def _column_condition(entity: Any, model: type, prop: str, column: str) -> Any | None:
    """SQL "has a usable <column>" for a model using the mixin's default property."""
    if getattr(model, prop) is not getattr(RecipientMixin, prop):
        return None
    mapper: Mapper[Any] = sa.inspect(model)
    attribute = mapper.column_attrs.get(column)
    return _usable(getattr(entity, column)) if attribute is not None else None


def _contact_condition(entity: Any, model: type, prop: str, column: str) -> Any | None:
    if issubclass(model, BookingRecipientMixin):
        if (
            getattr(model, prop) is not getattr(BookingRecipientMixin, prop)
            or model.broadcast_customer is not BookingRecipientMixin.broadcast_customer
        ):
            return None
        relationship = sa.inspect(model).relationships.get("customer")
        if relationship is None or relationship.uselist:
            return None
        customer_model = relationship.mapper.class_
        inner = _column_condition(customer_model, customer_model, prop, column)
        return None if inner is None else entity.customer.has(inner)
    return _column_condition(entity, model, prop, column)


def _counts(with_consent: Consenting, source: AudienceSource, channels: tuple[str, ...]) -> tuple[int, int, int]:
    """(recipients, of them reachable on no channel, of them kept out of a reachable channel
    by the opt-in): one ``COUNT`` when every channel's contact and consent have a SQL form."""
    session = get_state().session
    subquery = with_consent.stmt.order_by(None).limit(None).subquery()
    entity = aliased(source.model, subquery)
    # A mobile number counts only when an SMS can reach it (the E.164 check of sending),
    # which SQL cannot tell: SMS templates are counted by reading the audience.
    conditions: dict[str, Any] = {"mail": _contact_condition(entity, source.model, "broadcast_email", "email")}
    everyone = accepts_everyone(source)
    if all(conditions.get(channel) is not None for channel in channels) and (everyone or with_consent.by_sql):
        reachable = sa.or_(sa.false(), *(conditions[channel] for channel in channels))
        kept_out = sa.or_(
            sa.false(),
            *(
                sa.and_(conditions[channel], column == 0)
                for channel in channels
                if (column := with_consent.column(subquery, channel)) is not None
            ),
        )
        total, no_channel, no_consent = session.execute(
            sa.select(
                sa.func.count(), sa.func.count().filter(sa.not_(reachable)), sa.func.count().filter(kept_out)
            ).select_from(entity)
        ).one()
        return int(total), int(no_channel), int(no_consent)
    return _stream_counts(with_consent, channels, everyone)


def _stream_counts(with_consent: Consenting, channels: tuple[str, ...], everyone: bool) -> tuple[int, int, int]:
    total = no_channel = no_consent = 0
    rows = get_state().session.execute(with_consent.stmt.execution_options(yield_per=_STREAM_CHUNK))
    for row in rows:
        recipient, consent = with_consent.read(row)
        total += 1
        reachable = [
            channel
            for channel in channels
            if (channel == "mail" and (recipient.broadcast_email or "").strip())
            or (channel == "sms" and _reaches_sms(recipient.broadcast_mobile))
        ]
        if not reachable:
            no_channel += 1
        elif not everyone and refused(recipient, reachable, consent):
            no_consent += 1
    return total, no_channel, no_consent


def _suppressed_count(stmt: sa.Select[Any], organization_id: str, channels: tuple[str, ...]) -> int:
    """Recipients of the audience with a channel on the organization's suppression list.

    The audience is streamed (``yield_per``) and each chunk's addresses are looked up in one
    ``IN`` query per channel: the host's contact details may be properties with no SQL form.
    """
    session = get_state().session
    if not has_suppressions(session, organization_id):  # most lists are empty: no read of the audience
        return 0
    count = 0
    rows = session.scalars(stmt.execution_options(yield_per=_STREAM_CHUNK))
    for chunk in rows.partitions(_STREAM_CHUNK):
        items = [{"channels": list(channels), "email": r.broadcast_email, "mobile": r.broadcast_mobile} for r in chunk]
        count += count_suppressed(session, organization_id, items)
    return count


def _reaches_sms(mobile: str | None) -> bool:
    try:
        e164(mobile)
    except UnusableNumber:
        return False
    return True
