"""Messages: ``/broadcast-campaigns/{id}/messages``, ``/broadcast-messages/{id}`` and the
preview ``/broadcast-campaigns/{id}/draft-messages``.

Stored messages and drafts share :class:`MessageSchema`. Their includes (``campaign``,
``recipient`` — the host's ``customers`` or ``bookings`` resource —, ``customer`` and,
for stored messages, ``sent_email``) are resolved per page by an includes object put on
``flask.g`` by the view: for stored messages it batch-loads with one ``IN`` query per
type (:mod:`flask_broadcasts.services.messages`); for drafts the recipients are already
in memory. Host resources are serialized by their audience source's ``serialize``.

The stored listing pages with a keyset cursor (``page[after]``) over
``(created_at, id)``: no OFFSET and no COUNT, whatever the campaign's size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from typing import Any

import marshmallow as ma
from flask import g, request
from flask.views import MethodView
from marshmallow_jsonapi import fields

from ..auth import current_tenant
from ..engine.preview import Preview, preview
from ..errors import BadRequestError
from ..jsonapi import (
    CollectionQuery,
    CollectionSpec,
    Page,
    ResourceQuery,
    ResourceSchema,
    ResourceSpec,
    paginate,
    render_page,
    render_resource,
)
from ..models import BroadcastMessage
from ..services import messages as service
from ..state import get_state
from ..statuses import ChannelStatus, MessageStatus
from .base import resource_blueprint
from .campaigns import CampaignSchema

__all__ = ["MessageSchema", "SentEmailSchema", "blueprint"]


class MessageSchema(ResourceSchema):
    """A message on the wire (type ``broadcast-messages``); SMS cost is in its ``meta``."""

    id = fields.Str(dump_only=True)
    subject = fields.Str(dump_only=True)
    body = fields.Str(dump_only=True)
    body_short = fields.Str(dump_only=True)
    action_label = fields.Str(dump_only=True)
    action_url = fields.Str(dump_only=True)
    channels = fields.List(fields.Str(), dump_only=True)
    locale = fields.Str(dump_only=True)
    email = fields.Str(dump_only=True)
    mobile = fields.Str(dump_only=True)
    status = fields.Str(dump_only=True)
    mail_status = fields.Method("_mail_status", dump_only=True)
    sms_status = fields.Method("_sms_status", dump_only=True)
    error = fields.Str(dump_only=True)
    error_code = fields.Str(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    sent_at = fields.DateTime(dump_only=True)

    class Meta:
        type_ = "broadcast-messages"

    @staticmethod
    def _channel_status(message: BroadcastMessage, channel: str) -> str | None:
        """A channel's status: ``null`` when the message does not use it, ``pending`` until settled.

        A channel the suppression list left out is no longer among ``channels`` but says ``suppressed``.
        """
        settled = getattr(message, f"{channel}_status")
        if channel not in (message.channels or []):
            return settled if settled == ChannelStatus.SUPPRESSED.value else None
        return settled or ChannelStatus.PENDING.value

    def _mail_status(self, message: BroadcastMessage) -> str | None:
        return self._channel_status(message, "mail")

    def _sms_status(self, message: BroadcastMessage) -> str | None:
        return self._channel_status(message, "sms")


class SentEmailSchema(ResourceSchema):
    """What the SMTP server accepted for a message (type ``broadcast-sent-emails``)."""

    id = fields.Str(dump_only=True)
    message_id = fields.Str(attribute="message_id_header", dump_only=True)
    sender = fields.Str(data_key="from", dump_only=True)
    recipient = fields.Str(data_key="to", dump_only=True)
    subject = fields.Str(dump_only=True)
    sent_at = fields.DateTime(dump_only=True)
    response = fields.Str(dump_only=True)

    class Meta:
        type_ = "broadcast-sent-emails"


_STORED = tuple(s.value for s in MessageStatus if s is not MessageStatus.DRAFT)


class _StatusList(ma.fields.String):
    """``filter[status]=failed`` or ``filter[status]=completed,delivered``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[MessageStatus]:
        items = [item.strip() for item in str(value).split(",") if item.strip()]
        unknown = [item for item in items if item not in _STORED]
        if not items or unknown:
            raise ma.ValidationError(f"Use one or more of: {', '.join(_STORED)} (comma-separated).")
        return [MessageStatus(item) for item in items]


class MessageFilterSchema(ma.Schema):
    """The ``filter[...]`` parameters of the message list."""

    status = _StatusList(metadata={"description": f"One or more of {', '.join(_STORED)}, comma-separated."})
    address = ma.fields.Str(
        validate=ma.validate.Length(min=1, max=320),
        metadata={"description": "The recipient's e-mail address (any case) or mobile number, exactly."},
    )


# -- includes -------------------------------------------------------------------------------

Resources = Mapping[str, Any]


def _dump(schema: type[ResourceSchema], obj: Any) -> dict[str, Any]:
    return schema().dump(obj)["data"]


def _serialize_host(obj: Any, resource_type: str) -> dict[str, Any] | None:
    source = get_state().extension.source_for_resource_type(resource_type)
    return source.serialize(obj) if source is not None and obj is not None else None


class StoredIncludes:
    """Includes of a page of stored messages: one ``IN`` query per type, whatever the page size."""

    def __init__(self) -> None:
        self._recipients: dict[tuple[str, str], Any] | None = None

    def _load(self, messages: Sequence[BroadcastMessage]) -> dict[tuple[str, str], Any]:
        if self._recipients is None:
            self._recipients = service.load_recipients(messages)
        return self._recipients

    def recipient(self, messages: Sequence[BroadcastMessage]) -> Resources:
        """The host's recipient resource of each message, by message id."""
        found = self._load(messages)
        return {
            str(m.id): _serialize_host(found.get((m.recipient_type, m.recipient_id)), m.recipient_type)
            for m in messages
        }

    def customer(self, messages: Sequence[BroadcastMessage]) -> Resources:
        """The host's customer resource of each message (none without a customer source)."""
        customers = service.load_customers(messages, known=self._load(messages))
        resolved: dict[str, Any] = {}
        for m in messages:
            source = service.customer_source(m.recipient_type)
            if source is None:
                continue
            customer = customers.get((source.resource_type, m.customer_id or ""))
            resolved[str(m.id)] = source.serialize(customer) if customer is not None else None
        return resolved

    def campaign(self, messages: Sequence[BroadcastMessage]) -> Resources:
        """The campaign resource of each message."""
        campaigns = service.load_campaigns(messages)
        return {str(m.id): _dump(CampaignSchema, campaigns[m.campaign_id]) for m in messages}

    def sent_email(self, messages: Sequence[BroadcastMessage]) -> Resources:
        """The sent e-mail record of each message, ``None`` where there is none."""
        emails = service.load_sent_emails(messages)
        return {str(m.id): _dump(SentEmailSchema, emails[m.id]) if m.id in emails else None for m in messages}


class DraftIncludes:
    """Includes of a preview: its recipients are already loaded."""

    def __init__(self, result: Preview) -> None:
        self.result = result
        self.by_id = {m.id: r for m, r in zip(result.messages, result.recipients, strict=True)}

    def recipient(self, messages: Sequence[BroadcastMessage]) -> Resources:
        """The host's recipient resource of each draft message."""
        return {str(m.id): self.result.source.serialize(self.by_id[m.id]) for m in messages}

    def customer(self, messages: Sequence[BroadcastMessage]) -> Resources:
        """The host's customer resource of each draft message (none without a customer source)."""
        source = service.customer_source(self.result.source.resource_type)
        if source is None:
            return {}
        customers = {str(m.id): self.by_id[m.id].broadcast_customer for m in messages}
        return {key: source.serialize(c) if c is not None else None for key, c in customers.items()}

    def campaign(self, messages: Sequence[BroadcastMessage]) -> Resources:
        """The previewed campaign, for each draft message."""
        return {str(m.id): _dump(CampaignSchema, self.result.campaign) for m in messages}


def _resolver(name: str) -> Callable[[Sequence[Any]], Resources]:
    def resolve(messages: Sequence[Any]) -> Resources:
        return getattr(g.broadcasts_message_includes, name)(messages)

    return resolve


def _includes(*names: str) -> dict[str, Callable[[Sequence[Any]], Resources]]:
    return {name: _resolver(name) for name in names}


def _customer_type(recipient_type: str) -> str:
    source = service.customer_source(recipient_type)
    return source.resource_type if source is not None else "customers"


def _linkage(messages: Sequence[BroadcastMessage]) -> dict[str, dict[str, Any]]:
    """``campaign``, ``recipient`` and ``customer`` linkage of every message (ids are on the row;
    the customer's type is that of its source, :func:`~flask_broadcasts.services.messages.customer_source`)."""
    customer_types = {t: _customer_type(t) for t in {m.recipient_type for m in messages}}
    return {
        str(m.id): {
            "campaign": {"type": "broadcast-campaigns", "id": str(m.campaign_id)},
            "recipient": {"type": m.recipient_type, "id": m.recipient_id},
            "customer": {"type": customer_types[m.recipient_type], "id": m.customer_id} if m.customer_id else None,
        }
        for m in messages
    }


def _message_meta(message: BroadcastMessage) -> dict[str, Any]:
    """SMS cost, and the template variant the main text used (``locale`` is the recipient's).

    A pending message that waits (its quiet-hours window, its local delivery time, a
    temporary failure's back-off) also says until when (``not_before``) and, when it was
    timed in one, the time zone it was read in (``time_zone``).
    """
    meta: dict[str, Any] = {
        "sms_encoding": message.sms_encoding,
        "sms_segments": message.sms_segments,
        "template_locale": message.template_locale,
    }
    not_before = getattr(message, "retry_at", None)  # previews have none
    if not_before is not None and message.status == MessageStatus.PENDING.value:
        if not_before.tzinfo is None:  # SQLite hands back naive UTC
            not_before = not_before.replace(tzinfo=UTC)
        meta["not_before"] = not_before.astimezone(UTC).isoformat()  # as the date-time attributes
        if message.time_zone:
            meta["time_zone"] = message.time_zone
    return meta


_STORED_INCLUDES = _includes("campaign", "recipient", "customer", "sent_email")
MESSAGE = ResourceSpec(schema=MessageSchema, external_includes=_STORED_INCLUDES)
MESSAGES = CollectionSpec(
    schema=MessageSchema,
    external_includes=_STORED_INCLUDES,
    sorts={"created_at": BroadcastMessage.created_at},
    default_sort="created_at",
    filters=MessageFilterSchema,
    pagination="cursor",
)
DRAFTS = CollectionSpec(schema=MessageSchema, external_includes=_includes("campaign", "recipient", "customer"))

blueprint = resource_blueprint("broadcast_messages", __name__, description="Broadcast messages and previews")


@blueprint.route("/broadcast-campaigns/<id>/messages")
class CampaignMessages(MethodView):
    """``/broadcast-campaigns/<id>/messages``: a campaign's stored messages."""

    @blueprint.jsonapi_collection(MESSAGES)
    def get(self, query: CollectionQuery, id: str) -> Any:
        """List the messages of a campaign (cursor pagination)"""
        stmt = service.messages_query(
            current_tenant().organization_id,
            id,
            statuses=query.filters.get("status"),
            address=query.filters.get("address"),
        )
        page = paginate(get_state().session, stmt, query)
        service.with_texts(page.items)
        g.broadcasts_message_includes = StoredIncludes()
        return render_page(page, query, resource_meta=_message_meta, linkage=_linkage(page.items))


@blueprint.route("/broadcast-messages/<id>")
class MessageItem(MethodView):
    """``/broadcast-messages/<id>``: one stored message."""

    @blueprint.jsonapi_resource(MESSAGE)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch a message"""
        message = service.get_message(current_tenant().organization_id, id)
        g.broadcasts_message_includes = StoredIncludes()
        return render_resource(message, query, resource_meta=_message_meta, linkage=_linkage([message]))


#: The preview's own query parameter. Not a JSON:API family; named with a non a-z
#: character, as JSON:API 1.1 asks of implementation-specific parameters.
WITH_COUNTS = "with_counts"
_FLAGS = {"true": True, "false": False}


def _with_counts() -> bool:
    raw = request.args.get(WITH_COUNTS, "false")
    if raw not in _FLAGS:
        raise BadRequestError(f"{WITH_COUNTS} must be true or false, not {raw!r}.", parameter=WITH_COUNTS)
    return _FLAGS[raw]


@blueprint.route("/broadcast-campaigns/<id>/draft-messages")
class DraftMessages(MethodView):
    """``/broadcast-campaigns/<id>/draft-messages``: a preview of a campaign's messages."""

    @blueprint.jsonapi_collection(
        DRAFTS,
        parameters=[
            {
                "name": WITH_COUNTS,
                "in": "query",
                "required": False,
                "schema": {"type": "boolean", "default": False},
                "description": "Also count the audience: meta.recipient_count, meta.no_channel_count, "
                "meta.suppressed_count and meta.no_consent_count "
                "(one COUNT over the audience; its cost grows with the audience, the drafts' does not).",
            }
        ],
    )
    def get(self, query: CollectionQuery, id: str) -> Any:
        """Preview the messages of a campaign (at most BROADCASTS_PREVIEW_LIMIT, not stored)"""
        result = preview(current_tenant().organization_id, id, with_counts=_with_counts())
        g.broadcasts_message_includes = DraftIncludes(result)
        meta = None
        if result.recipient_count is not None:
            meta = {
                "recipient_count": result.recipient_count,
                "no_channel_count": result.no_channel_count,
                "suppressed_count": result.suppressed_count,
                "no_consent_count": result.no_consent_count,
            }
        return render_page(
            Page(items=result.messages),
            query,
            meta=meta,
            resource_meta=_message_meta,
            linkage=_linkage(result.messages),
        )
