"""``/broadcast-campaign-reports/<id>`` and ``/broadcast-campaigns/<id>/report``: a campaign's report.

Read-only; the two URLs answer the same document (``id`` = the campaign's, another
organization's campaign → 404). The view only renders :func:`~flask_broadcasts.engine.reports.campaign_report`.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow_jsonapi import fields

from ..auth import current_tenant
from ..engine.reports import campaign_report
from ..jsonapi import ResourceQuery, ResourceSchema, ResourceSpec, render_resource
from .base import resource_blueprint

__all__ = ["CampaignReportSchema", "blueprint"]


class CampaignReportSchema(ResourceSchema):
    """A campaign's report on the wire (type ``broadcast-campaign-reports``; docs/tracking.rst)."""

    id = fields.Str(dump_only=True)
    campaign_id = fields.Int(dump_only=True)
    status = fields.Str(dump_only=True, metadata={"description": "The campaign's status."})
    track_opens = fields.Bool(dump_only=True)
    track_clicks = fields.Bool(dump_only=True)
    opens_are_estimate = fields.Bool(
        dump_only=True,
        metadata={"description": "Always true: privacy proxies fetch the pixel and blocked images never load it."},
    )
    generated_at = fields.DateTime(dump_only=True)
    channels = fields.Dict(
        dump_only=True,
        metadata={
            "description": "Per channel (mail, sms): total, sent, delivered, failed (suppressed included), "
            "suppressed, failures (top 10 error codes), bounced {hard, soft}, complained, unsubscribed; "
            "for mail with tracking on: opened and clicked {unique, total, machine} and links (top 20: "
            "index, url, clicks, unique), else null."
        },
    )
    hourly = fields.List(
        fields.Dict(),
        dump_only=True,
        metadata={"description": "Per UTC hour with activity: hour, sent, delivered, opened, clicked (human only)."},
    )
    runs = fields.List(
        fields.Dict(),
        dump_only=True,
        metadata={
            "description": "Each run, newest first (at most 100): run_key, status, started_at, completed_at, total, sent, failed, delivered, bounced, complained."
        },
    )

    class Meta:
        type_ = "broadcast-campaign-reports"


REPORT = ResourceSpec(schema=CampaignReportSchema)

blueprint = resource_blueprint("broadcast_campaign_reports", __name__, description="Broadcast campaign reports")


@blueprint.route("/broadcast-campaign-reports/<id>")
class CampaignReportItem(MethodView):
    """``/broadcast-campaign-reports/<id>``: one campaign's report."""

    @blueprint.jsonapi_resource(REPORT)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch a campaign's report (from counters: per channel, hourly, per run)"""
        return render_resource(campaign_report(current_tenant().organization_id, id), query)


@blueprint.route("/broadcast-campaigns/<id>/report")
class CampaignReport(MethodView):
    """``/broadcast-campaigns/<id>/report``: the same document."""

    @blueprint.jsonapi_resource(REPORT)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch a campaign's report (as /broadcast-campaign-reports/{id})"""
        return render_resource(campaign_report(current_tenant().organization_id, id), query)
