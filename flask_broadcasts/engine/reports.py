"""A campaign's report (``broadcast-campaign-reports``), read from counters only.

Its figures are the report counts of every run (:mod:`.report_counts`: a few dozen rows a
run, one range of their unique index) and the runs' own counters; never a scan of the
messages, so it costs the same at 100,000 messages as at 10 (``make bench`` times it).
The shape is documented in docs/tracking.rst.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ..channels.mail_layout import content_html
from ..channels.tracking import tracked_links
from ..models import BroadcastCampaign, BroadcastRun, utcnow
from ..services._common import get_scoped
from ..services.message_texts import run_content
from ..state import get_state
from .report_counts import CHANNEL_COLUMNS, FAILED_CHANNEL, read

__all__ = ["CampaignReport", "campaign_report"]

#: How many error codes, links and runs a report lists at most.
TOP_FAILURES = 10
TOP_LINKS = 20
MAX_RUNS = 100


@dataclass
class CampaignReport:
    """The report of one campaign: what the resource renders (``id`` = the campaign's)."""

    id: int
    campaign_id: int
    status: str
    track_opens: bool
    track_clicks: bool
    channels: dict[str, Any]
    #: Messages that failed with no channel to try (no address, no consent): in no funnel.
    unreachable: dict[str, Any]
    hourly: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    generated_at: datetime = field(default_factory=utcnow)
    #: Opens come from an image that privacy proxies fetch and that blocked images never
    #: load: the report always says they are an estimate.
    opens_are_estimate: bool = True


def _top(counts: Counter[str], limit: int) -> list[tuple[str, int]]:
    return sorted(((k, n) for k, n in counts.items() if n > 0), key=lambda item: (-item[1], item[0]))[:limit]


def _activity(sums: Counter[tuple[str, str]], metric: str) -> dict[str, int]:
    return {
        "unique": sums[(metric + "_unique", "")],
        "total": sums[(metric, "")],
        "machine": sums[(metric + "_machine", "")],
    }


def _link_urls(campaign: BroadcastCampaign) -> list[str]:
    """The tracked links of the last run's content, placeholders left as ``{name}``."""
    if not campaign.run_key:
        return []
    content = run_content(get_state().session, campaign.id, campaign.run_key)
    if content is None:
        return []
    texts = content.texts({name: "{" + name + "}" for name in content.names}, None)
    document, _ = content_html(texts.body or "", texts.action_label, texts.action_url)
    return tracked_links(document)


def _channel(
    campaign: BroadcastCampaign, channel: str, sums: Counter[tuple[str, str]], by: dict[str, Counter[str]]
) -> dict[str, Any]:
    statuses = by["status"]
    total = sum(statuses.values())
    failed = sum(n for status, n in statuses.items() if status in FAILED_CHANNEL)
    figures: dict[str, Any] = {
        "total": total,
        "sent": total - failed,
        "delivered": statuses["delivered"],
        "failed": failed,
        "suppressed": statuses["suppressed"],
        "failures": [{"error_code": code, "count": n} for code, n in _top(by["failure"], TOP_FAILURES)],
        "bounced": {"hard": statuses["bounced"], "soft": sums[("soft_bounced", "")]},
        "complained": sums[("complained", "")],
        "unsubscribed": sums[("unsubscribed", "")],
        "opened": None,
        "clicked": None,
        "links": None,
    }
    if channel != "mail":
        return figures
    if campaign.track_opens or any(sums[(m, "")] for m in ("opened", "opened_machine")):
        figures["opened"] = _activity(sums, "opened")
    if campaign.track_clicks or any(sums[(m, "")] for m in ("clicked", "clicked_machine")):
        figures["clicked"] = _activity(sums, "clicked")
        urls = _link_urls(campaign)
        figures["links"] = [
            {
                "index": int(key),
                "url": urls[int(key)] if int(key) < len(urls) else None,
                "clicks": n,
                "unique": by["link_unique"][key],
            }
            for key, n in _top(by["link_clicks"], TOP_LINKS)
        ]
    return figures


def _runs(campaign: BroadcastCampaign) -> list[dict[str, Any]]:
    rows = (
        get_state()
        .session.execute(
            select(BroadcastRun)
            .where(BroadcastRun.campaign_id == campaign.id)
            .order_by(BroadcastRun.started_at.desc(), BroadcastRun.id.desc())
            .limit(MAX_RUNS)
        )
        .scalars()
    )
    out = []
    for run in rows:
        # The run in progress has its live counters on the campaign row.
        live = campaign if run.completed_at is None and run.run_key == campaign.run_key else run
        out.append(
            {
                "run_key": run.run_key,
                "status": campaign.status if live is campaign else run.status,
                "started_at": run.started_at.isoformat() if run.started_at else None,
                "completed_at": run.completed_at.isoformat() if run.completed_at else None,
                "total": live.total_count,
                "sent": live.sent_count,
                "failed": live.failed_count,
                "delivered": live.delivered_count,
                "bounced": live.bounced_count,
                "complained": live.complained_count,
            }
        )
    return out


def _hourly(series: dict[str, Counter[str]]) -> list[dict[str, Any]]:
    hours = sorted(
        {hour for metric, counts in series.items() if metric.startswith("hour_") for hour, n in counts.items() if n}
    )
    return [
        {
            "hour": datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
            **{name: series[f"hour_{name}"][hour] for name in ("sent", "delivered", "opened", "clicked")},
        }
        for hour in hours
    ]


def campaign_report(organization_id: str, campaign_id: Any) -> CampaignReport:
    """The report of one campaign of the organization. :raises NotFoundError: none there (404)."""
    campaign = get_scoped(BroadcastCampaign, organization_id, campaign_id, "broadcast campaign")
    sums: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    by: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for _run_key, channel, metric, key, count in read(get_state().session, campaign.id):
        sums[channel][(metric, key)] += count
        by[channel][metric][key] += count
    report = CampaignReport(
        id=campaign.id,
        campaign_id=campaign.id,
        status=campaign.status,
        track_opens=bool(campaign.track_opens),
        track_clicks=bool(campaign.track_clicks),
        channels={name: _channel(campaign, name, sums[name], by[name]) for name in CHANNEL_COLUMNS},
        unreachable={
            "total": sum(by[""]["unreachable"].values()),
            "failures": [{"error_code": c, "count": n} for c, n in _top(by[""]["unreachable"], TOP_FAILURES)],
        },
        hourly=_hourly(by[""]),
        runs=_runs(campaign),
    )
    get_state().session.rollback()  # a read: no transaction left open
    return report
