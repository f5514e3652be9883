"""One recipient → the values of its message: the ONE code path shared by preview and sending.

:func:`compile_template` turns a stored :class:`~flask_broadcasts.models.BroadcastTemplate`
into a :class:`~flask_broadcasts.rendering.CompiledTemplate` once per campaign (or run);
:func:`message_values` renders one host recipient through it and returns the column
values of a :class:`~flask_broadcasts.models.BroadcastMessage`. The preview builds
unsaved messages from those values, the sending side inserts them; so what a preview
shows is exactly what a run stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ..host import AudienceSource, RecipientMixin
from ..models import BroadcastAudience, BroadcastTemplate
from ..rendering import CompiledTemplate, RecipientData
from ..rendering.placeholders import UNSUBSCRIBE_URL
from ..services import audiences
from ..services.message_texts import RunContent
from ..services.templates import template_content
from ..state import get_state
from ..statuses import ErrorCode, MessageStatus
from .consent import NO_CONSENT, accepted_channels

__all__ = [
    "NO_CHANNEL",
    "audience_recipients",
    "compile_template",
    "message_values",
    "recipient_data",
    "template_content",
]

#: ``error`` and ``error_code`` of a message whose recipient can receive none of the template's channels.
NO_CHANNEL = ErrorCode.NO_CHANNEL.value


def compile_template(template: BroadcastTemplate) -> CompiledTemplate:
    """Compile ``template`` once; render every recipient of a campaign with the result."""
    return CompiledTemplate.compile(template_content(template))


def recipient_data(obj: RecipientMixin) -> RecipientData:
    """What rendering needs from a host recipient: its bindings and contact details.

    Bindings come from the host's ``get_variable_bindings()``; contact details and
    locale from the mixin's ``broadcast_email`` / ``broadcast_mobile`` /
    ``broadcast_locale`` (for a booking: its customer's).
    """
    bindings: Mapping[str, Any] = obj.get_variable_bindings() or {}
    return RecipientData(
        # The link needs the stored message's id: the placeholder stays for the mail channel.
        bindings={**bindings, UNSUBSCRIBE_URL: "{" + UNSUBSCRIBE_URL + "}"},
        email=obj.broadcast_email,
        mobile=obj.broadcast_mobile,
        locale=obj.broadcast_locale,
    )


def _customer_id(obj: RecipientMixin) -> str | None:
    customer = obj.broadcast_customer
    return customer.broadcast_id if customer is not None else None


def message_values(
    compiled: CompiledTemplate,
    obj: RecipientMixin,
    source: AudienceSource,
    consent: Mapping[str, bool] | None = None,
    *,
    content: RunContent | None = None,
) -> dict[str, Any]:
    """Render ``obj`` and return the :class:`~flask_broadcasts.models.BroadcastMessage` column values.

    Keys: ``recipient_type`` (the source's JSON:API type, ``customers`` / ``bookings``),
    ``recipient_id``, ``customer_id``, the rendered texts, ``channels`` (the template's
    minus those the recipient cannot receive), ``locale`` (the recipient's locale,
    canonical, ``None`` when missing or unknown — not the variant used, which is
    :attr:`RenderedMessage.locale`), ``email``, ``mobile``, ``sms_encoding``,
    ``sms_segments``, ``template_locale`` (the variant used), ``status``, ``error`` and
    ``error_code``.

    A recipient left with no channel gets ``status="failed"`` and ``error_code``
    ``no_channel`` — or ``invalid_mobile`` when it had a number no SMS can reach, with
    ``error`` saying why — so a run stores one row per recipient and ``total_count``
    equals the rows listed;
    everyone else is ``pending``. The host's opt-in (``consent``, read with the row by
    :class:`~flask_broadcasts.engine.consent.Consenting`; ``None``: the object's
    ``broadcast_accepts``) takes out the channels it refuses; a recipient it leaves with no
    channel is ``failed`` with ``error_code`` ``no_consent``. The caller adds ``organization_id``, ``campaign_id``
    and ``run_key`` (or, for a preview, overrides the status with ``draft``).

    With a run's stored ``content`` (:mod:`~flask_broadcasts.services.message_texts`), the
    five texts are ``None`` and ``bindings`` holds what renders them again; without it
    (a preview), the texts are there and ``bindings`` is ``None``.
    """
    data = recipient_data(obj)
    rendered = compiled.render(data)
    channels = accepted_channels(obj, rendered.channels, consent)
    has_channel = bool(channels)
    if has_channel:
        error = error_code = None
    elif rendered.channels:
        error = error_code = NO_CONSENT
    elif rendered.mobile_problem is not None:
        error_code = ErrorCode.INVALID_MOBILE.value
        error = f"sms: {error_code}: {rendered.mobile_problem}"
    else:
        error = error_code = NO_CHANNEL
    compact = content is not None
    return {
        "recipient_type": source.resource_type,
        "recipient_id": obj.broadcast_id,
        "customer_id": _customer_id(obj),
        "subject": None if compact else rendered.subject,
        "body": None if compact else rendered.body,
        "body_short": None if compact else rendered.body_short,
        "action_label": None if compact else rendered.action_label,
        "action_url": None if compact else rendered.action_url,
        "bindings": content.bindings(data.bindings) if content is not None else None,
        "channels": channels,
        "locale": rendered.recipient_locale,
        "email": rendered.email,
        "mobile": rendered.mobile,
        "sms_encoding": rendered.sms_encoding,
        "sms_segments": rendered.sms_segments,
        "template_locale": rendered.locale,
        "status": (MessageStatus.PENDING if has_channel else MessageStatus.FAILED).value,
        "error": error,
        "error_code": error_code,
    }


def audience_recipients(audience: BroadcastAudience) -> tuple[AudienceSource, sa.Select[Any]]:
    """The source and the query of ``audience``'s recipients *now*, ordered, never run here.

    ``customers``/``bookings`` audiences go through the host's filter function (the one
    behind its own list endpoints) with the audience's ``filters``; a ``community``
    audience through the community source's ``members``. The primary key is appended to
    the order so ``LIMIT`` and chunked reads are deterministic whatever the host orders by.

    :raises LookupError: when the host registered no source for the audience's type.
    :raises InvalidInputError: when the stored filters no longer load (see
        ``flask_broadcasts.services.audiences.audience_recipients``).
    """
    try:
        source = get_state().extension.audience_source(audience.audience_type)
    except KeyError:
        raise LookupError(f"no audience source for {audience.audience_type!r}") from None
    stmt = audiences.audience_recipients(audience)
    return source, stmt.order_by(*sa.inspect(source.model).primary_key)
