"""The campaign as a JSON:API resource object, built from a row without querying.

One function, shared by the progress events (built from an ``UPDATE ... RETURNING``
row) and the HTTP layer (an ORM object): both expose the columns as attributes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

CAMPAIGN_TYPE = "broadcast-campaigns"

#: Attributes of a campaign resource, in the order the spec lists them (``status_reason``
#: beside ``status``: an event announcing a pause, a stop or a failure says why).
CAMPAIGN_ATTRIBUTES: tuple[str, ...] = (
    "name",
    "status",
    "status_reason",
    "scheduled_at",
    "recurring",
    "cron",
    "timezone",
    "next_run_at",
    "sent_count",
    "failed_count",
    "total_count",
    "runs_count",
    "created_at",
    "updated_at",
)


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` (naive datetimes, as SQLite returns them, are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _attribute(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value)
    if name == "status":
        return getattr(value, "value", value)
    return value


def campaign_resource(row: Any) -> dict[str, Any]:
    """The ``broadcast-campaigns`` resource object of ``row``.

    :param row: a :class:`~flask_broadcasts.models.BroadcastCampaign` or any row with
        its columns as attributes (``UPDATE ... RETURNING`` of the campaigns table).
    """
    return {
        "type": CAMPAIGN_TYPE,
        "id": str(row.id),
        "attributes": {name: _attribute(name, getattr(row, name)) for name in CAMPAIGN_ATTRIBUTES},
        "relationships": {
            "template": {"data": {"type": "broadcast-templates", "id": str(row.template_id)}},
            "audience": {"data": {"type": "broadcast-audiences", "id": str(row.audience_id)}},
        },
    }
