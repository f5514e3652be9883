"""flask_broadcasts.resources: a campaign as a JSON:API resource object, built from any row.

A client relies on: times in UTC with a ``Z`` (SQLite's naive values taken as UTC), the
status as its string whether the row holds the enum or the text, the spec's attributes
(``status_reason`` beside ``status``), and the template and audience as relationships.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

from flask_broadcasts.resources import CAMPAIGN_ATTRIBUTES, campaign_resource, isoformat
from flask_broadcasts.statuses import CampaignStatus


def test_times_are_utc_with_a_z_and_naive_ones_are_taken_as_utc():
    paris = timezone(timedelta(hours=2))
    assert isoformat(datetime(2026, 3, 1, 11, 0, tzinfo=paris)) == "2026-03-01T09:00:00Z"
    assert isoformat(datetime(2026, 3, 1, 9, 0)) == "2026-03-01T09:00:00Z"
    assert isoformat(None) is None


def test_a_row_becomes_the_campaign_resource_with_its_relationships():
    values = dict.fromkeys(CAMPAIGN_ATTRIBUTES)
    values.update(
        name="March",
        status=CampaignStatus.PAUSED,
        status_reason="deliverability_guard",
        sent_count=3,
        created_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    )
    row = SimpleNamespace(id=12, template_id=4, audience_id=5, **values)
    resource = campaign_resource(row)
    assert (resource["type"], resource["id"]) == ("broadcast-campaigns", "12")
    attributes = resource["attributes"]
    assert list(attributes) == list(CAMPAIGN_ATTRIBUTES)
    assert (attributes["status"], attributes["status_reason"]) == ("paused", "deliverability_guard")
    assert (attributes["sent_count"], attributes["created_at"]) == (3, "2026-03-01T09:00:00Z")
    assert resource["relationships"] == {
        "template": {"data": {"type": "broadcast-templates", "id": "4"}},
        "audience": {"data": {"type": "broadcast-audiences", "id": "5"}},
    }
    # An UPDATE ... RETURNING row holds the status as text: the same resource.
    assert campaign_resource(SimpleNamespace(**{**vars(row), "status": "paused"})) == resource
