"""``/broadcast-campaigns``: list, create, read, update, delete; the actions start, stop, pause, resume, retry.

Views only parse (the ``jsonapi_*`` decorators), call :mod:`flask_broadcasts.services.campaigns`
and render. Read-only attributes (``status``, the counters, ``next_run_at``, ``runs_count``,
timestamps) are refused with a 422 pointing at them when a client sends them: silently
ignoring them would let a client believe it changed a status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from marshmallow_jsonapi import fields

from ..auth import current_tenant
from ..engine import lifecycle, retry
from ..engine.schedule import recent_runs
from ..errors import BadRequestError
from ..jsonapi import (
    CollectionQuery,
    CollectionSpec,
    Payload,
    ResourceQuery,
    ResourceSchema,
    ResourceSpec,
    no_content,
    paginate,
    render_page,
    render_resource,
)
from ..models import BroadcastCampaign
from ..services import campaigns as service
from ..state import get_state
from .audiences import BroadcastAudienceSchema as AudienceSchema
from .base import resource_blueprint, resource_url
from .templates import BroadcastTemplateSchema as TemplateSchema

__all__ = ["CampaignSchema", "blueprint"]


class CampaignSchema(ResourceSchema):
    """A campaign on the wire (type ``broadcast-campaigns``)."""

    # A read-only attribute in a request is "unknown" to marshmallow: say why.
    error_messages = {"unknown": "Unknown or read-only attribute."}

    id = fields.Str(dump_only=True)
    name = fields.Str(required=True)
    scheduled_at = fields.DateTime()
    recurring = fields.Bool()
    cron = fields.Str()
    timezone = fields.Str()
    expires_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "Send-by: messages not sent by then end failed with error_code expired."},
    )
    send_window = fields.Dict(
        allow_none=True,
        metadata={
            "description": 'Quiet hours in each recipient\'s time zone: {"start": "HH:MM", "end": "HH:MM", "days": ["mon", ...]} (days optional; end before start crosses midnight). SMS without one keeps BROADCASTS_SMS_DEFAULT_WINDOW.',
        },
    )
    deliver_at_local = fields.Str(
        allow_none=True,
        metadata={"description": "HH:MM: each recipient's message at the next such wall-clock time in their zone."},
    )
    track_opens = fields.Bool(
        metadata={"description": "Count opens with a 1x1 image in the HTML part (off by default; an estimate)."}
    )
    track_clicks = fields.Bool(
        metadata={
            "description": "Send the HTML part's http(s) links through a signed redirect that counts clicks (off by default)."
        }
    )
    status = fields.Str(dump_only=True)
    status_reason = fields.Str(dump_only=True)
    sent_count = fields.Int(dump_only=True)
    failed_count = fields.Int(dump_only=True)
    total_count = fields.Int(dump_only=True)
    suppressed_count = fields.Int(
        dump_only=True,
        metadata={"description": "Of the counted messages, those with a channel left out by the suppression list."},
    )
    delivered_count = fields.Int(
        dump_only=True,
        metadata={"description": "Of sent_count, the messages the provider reported delivered."},
    )
    bounced_count = fields.Int(
        dump_only=True,
        metadata={
            "description": "Messages whose e-mail hard-bounced (a provider's report, bounce mail, or a 5xx about the address at send time); of failed_count unless another channel reached the recipient."
        },
    )
    complained_count = fields.Int(
        dump_only=True,
        metadata={"description": "Of sent_count, the messages the recipient reported as spam."},
    )
    next_run_at = fields.DateTime(dump_only=True)
    runs_count = fields.Int(dump_only=True)
    started_at = fields.DateTime(dump_only=True)
    completed_at = fields.DateTime(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    template = fields.Relationship(
        type_="broadcast-templates", schema=TemplateSchema, include_resource_linkage=True, required=True
    )
    audience = fields.Relationship(
        type_="broadcast-audiences", schema=AudienceSchema, include_resource_linkage=True, required=True
    )

    class Meta:
        type_ = "broadcast-campaigns"


class CampaignFilterSchema(ma.Schema):
    """The ``filter[...]`` parameters of the campaign list."""

    search = ma.fields.Str()


_INCLUDES = {"template.files", "audience"}
CAMPAIGN = ResourceSpec(schema=CampaignSchema, includes=_INCLUDES)
CAMPAIGNS = CollectionSpec(
    schema=CampaignSchema,
    includes=_INCLUDES,
    sorts={"name": BroadcastCampaign.name, "created_at": BroadcastCampaign.created_at},
    default_sort="-created_at",
    filters=CampaignFilterSchema,
)

blueprint = resource_blueprint("broadcast_campaigns", __name__, description="Broadcast campaigns")


def _files_wanted(query: ResourceQuery) -> bool:
    # The template resource carries its files' linkage, so load them with it.
    return any(path.startswith("template") for path in query.include)


def runs_meta(campaign: BroadcastCampaign) -> dict[str, Any]:
    """``meta.recent_runs`` of one campaign: the figures of its last runs, newest first.

    Only on single-resource answers: a list would pay one query per campaign.
    """
    return {
        "recent_runs": [
            {
                "run_key": run.run_key,
                "fire_time": run.fire_time.isoformat() if run.fire_time else None,
                "status": run.status,
                "status_reason": run.status_reason,
                "total_count": run.total_count,
                "sent_count": run.sent_count,
                "failed_count": run.failed_count,
                "delivered_count": run.delivered_count,
                "bounced_count": run.bounced_count,
                "complained_count": run.complained_count,
                "started_at": run.started_at.isoformat() if run.started_at else None,
                "completed_at": run.completed_at.isoformat() if run.completed_at else None,
            }
            for run in recent_runs(campaign.id)
        ]
    }


@blueprint.route("/broadcast-campaigns")
class Campaigns(MethodView):
    """``/broadcast-campaigns``: list and create campaigns."""

    @blueprint.jsonapi_collection(CAMPAIGNS)
    def get(self, query: CollectionQuery) -> Any:
        """List campaigns"""
        stmt = service.campaigns_query(
            current_tenant().organization_id, search=query.filters.get("search"), include_files=_files_wanted(query)
        )
        return render_page(paginate(get_state().session, stmt, query), query)

    @blueprint.jsonapi_create(CampaignSchema)
    def post(self, payload: Payload) -> Any:
        """Create a campaign (a draft)"""
        organization_id = current_tenant().organization_id
        campaign = service.create_campaign(organization_id, payload.values)
        location = resource_url("broadcast_campaigns.CampaignItem", campaign.id, organization_id)
        return render_resource(campaign, CampaignSchema, status=201, location=location)


@blueprint.route("/broadcast-campaigns/<id>")
class CampaignItem(MethodView):
    """``/broadcast-campaigns/<id>``: one campaign."""

    @blueprint.jsonapi_resource(CAMPAIGN)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch a campaign"""
        campaign = service.get_campaign(current_tenant().organization_id, id, include_files=_files_wanted(query))
        return render_resource(campaign, query, resource_meta=runs_meta)

    @blueprint.jsonapi_update(CampaignSchema)
    def patch(self, payload: Payload, id: str) -> Any:
        """Update a draft campaign"""
        campaign = service.update_campaign(current_tenant().organization_id, id, payload.values)
        return render_resource(campaign, CampaignSchema)

    @blueprint.jsonapi_delete(CampaignSchema)
    def delete(self, id: str) -> Any:
        """Delete a draft campaign"""
        service.delete_campaign(current_tenant().organization_id, id)
        return no_content()


class _Action(MethodView):
    """An action on one campaign: ``GET`` or ``POST`` (no body), the campaign after it.

    A status that does not allow it is a 409 with ``code`` ``illegal_transition`` and
    the current status in the error's ``meta.status``.
    """

    #: Lets a ``POST`` with no body (and no ``Content-Type``) through content negotiation.
    jsonapi_action = True

    #: The engine's function for the action: ``(organization_id, campaign_id)``, each subclass its own.
    act: Callable[[str, int], Any]

    def _answer(self, query: ResourceQuery, id: str) -> Any:
        organization_id = current_tenant().organization_id
        campaign = service.get_campaign(organization_id, id)
        self.act(organization_id, campaign.id)
        return render_resource(service.get_campaign(organization_id, id, include_files=_files_wanted(query)), query)


@blueprint.route("/broadcast-campaigns/<id>/start")
class CampaignStart(_Action):
    """``/broadcast-campaigns/<id>/start``: start a draft campaign."""

    act = staticmethod(lifecycle.start_campaign)

    @blueprint.jsonapi_action(CAMPAIGN)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Start a draft campaign

        No ``scheduled_at`` (or one in the past): sending begins now (``pending``).
        A future ``scheduled_at`` or ``recurring``: ``scheduled`` for the next fire time.
        Any other status than ``draft`` is a 409 ``illegal_transition``, so a double
        click starts once.
        """
        return self._answer(query, id)

    @blueprint.jsonapi_action(CAMPAIGN)
    def post(self, query: ResourceQuery, id: str) -> Any:
        """Start a draft campaign (as GET)"""
        return self._answer(query, id)


@blueprint.route("/broadcast-campaigns/<id>/stop")
class CampaignStop(_Action):
    """``/broadcast-campaigns/<id>/stop``: stop a campaign."""

    act = staticmethod(lifecycle.stop_campaign)

    @blueprint.jsonapi_action(CAMPAIGN)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Stop a campaign

        Back to ``draft`` (from any status, ``paused`` included); unsent (pending)
        messages are deleted and queued work is cancelled; messages already handed over
        keep their status. After the answer, each SMTP connection hands over at most the
        one message already in flight. Stopping a draft changes nothing.
        """
        return self._answer(query, id)

    @blueprint.jsonapi_action(CAMPAIGN)
    def post(self, query: ResourceQuery, id: str) -> Any:
        """Stop a campaign (as GET)"""
        return self._answer(query, id)


@blueprint.route("/broadcast-campaigns/<id>/pause")
class CampaignPause(_Action):
    """``/broadcast-campaigns/<id>/pause``: hold a running campaign."""

    act = staticmethod(lifecycle.pause_campaign)

    @blueprint.jsonapi_action(CAMPAIGN)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Pause a running campaign

        ``pending`` or ``in-progress`` → ``paused`` (``status_reason`` ``paused``).
        After the answer, each SMTP connection hands over at most the one message
        already in flight; nothing more goes out, and the unsent messages are kept for
        resume. Any other status (``paused`` too) is a 409 ``illegal_transition``.
        """
        return self._answer(query, id)

    @blueprint.jsonapi_action(CAMPAIGN)
    def post(self, query: ResourceQuery, id: str) -> Any:
        """Pause a running campaign (as GET)"""
        return self._answer(query, id)


@blueprint.route("/broadcast-campaigns/<id>/resume")
class CampaignResume(_Action):
    """``/broadcast-campaigns/<id>/resume``: continue a paused campaign."""

    act = staticmethod(lifecycle.resume_campaign)

    @blueprint.jsonapi_action(CAMPAIGN)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Resume a paused campaign

        ``paused`` → the status it was paused from (``in-progress`` once messages were
        stored, else ``pending``); sending continues with the messages not sent yet, and
        nobody gets one twice. Any other status is a 409 ``illegal_transition`` (of two
        concurrent resumes, one gets it).
        """
        return self._answer(query, id)

    @blueprint.jsonapi_action(CAMPAIGN)
    def post(self, query: ResourceQuery, id: str) -> Any:
        """Resume a paused campaign (as GET)"""
        return self._answer(query, id)


#: ``?include_unknown=`` of the retry action.
INCLUDE_UNKNOWN = "include_unknown"
_FLAGS = {"true": True, "false": False}


def _retry(organization_id: str, campaign_id: int) -> Any:
    raw = request.args.get(INCLUDE_UNKNOWN, "false")
    if raw not in _FLAGS:
        raise BadRequestError(f"{INCLUDE_UNKNOWN} must be true or false, not {raw!r}.", parameter=INCLUDE_UNKNOWN)
    return retry.retry_campaign(organization_id, campaign_id, include_unknown=_FLAGS[raw])


_RETRY_PARAMETERS = [
    {
        "name": INCLUDE_UNKNOWN,
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": False},
        "description": "Also send again the messages whose outcome is unknown (outcome_unknown). "
        "They may have been delivered: this may duplicate them.",
    }
]


@blueprint.route("/broadcast-campaigns/<id>/retry")
class CampaignRetry(_Action):
    """``/broadcast-campaigns/<id>/retry``: send the temporarily failed messages of the last run again."""

    act = staticmethod(_retry)

    @blueprint.jsonapi_action(CAMPAIGN, parameters=_RETRY_PARAMETERS)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Retry the failed messages of a completed campaign

        ``completed`` → ``pending``: the last run is reopened, and its messages that
        failed with a retryable ``error_code`` (``temporary_failure``; with
        ``include_unknown=true`` also ``outcome_unknown``, which may duplicate them) go
        back to ``pending`` and are sent again, with the run's Message-IDs; the counters
        move them from ``failed_count`` as they settle; ``runs_count`` does not change.
        Never retried: ``refused``, ``invalid_mobile``, ``no_channel``, ``suppressed``,
        ``no_consent``, ``expired``. Another status, or a recurring campaign (its next
        run is the retry), is a 409 ``illegal_transition``; nothing to retry is a 409
        ``nothing_to_retry``.
        """
        return self._answer(query, id)

    @blueprint.jsonapi_action(CAMPAIGN, parameters=_RETRY_PARAMETERS)
    def post(self, query: ResourceQuery, id: str) -> Any:
        """Retry the failed messages of a completed campaign (as GET)"""
        return self._answer(query, id)
