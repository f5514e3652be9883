"""Campaigns: create, read, list, update and delete, scoped to one organization.

A campaign joins a template and an audience of the same organization. Only a
``draft`` may be edited or deleted (:attr:`CampaignStatus.is_editable`); starting,
stopping and the counters belong to the engine (:mod:`flask_broadcasts.engine`).

Values come as a mapping of the writable names (:data:`WRITABLE`): the attributes
``name``, ``scheduled_at``, ``recurring``, ``cron``, ``timezone``, the pacing ones
(``expires_at``, ``send_window``, ``deliver_at_local``: :mod:`.campaign_pacing`) and the
relationship ids ``template`` and ``audience`` — what the JSON:API layer loaded from
the request document. Validation problems are :class:`~flask_broadcasts.errors.InvalidInputError`
with a pointer into that document, all of them at once; ids of another
organization are :class:`~flask_broadcasts.errors.NotFoundError`, exactly like
ids that do not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..errors import ConflictError, InvalidInputError, NotFoundError
from ..models import (
    BroadcastAudience,
    BroadcastCampaign,
    BroadcastMessage,
    BroadcastRun,
    BroadcastRunContent,
    BroadcastSentEmail,
    BroadcastTemplate,
)
from ..scheduling.cron import validate_cron, validate_timezone
from ..state import get_state
from ._common import get_scoped, not_found_at, parse_id, raise_problems
from .campaign_pacing import PACING_ATTRIBUTES, check_expiry_after_schedule, clean_pacing

__all__ = [
    "READ_ONLY",
    "WRITABLE",
    "campaigns_query",
    "create_campaign",
    "delete_campaign",
    "get_campaign",
    "update_campaign",
]

#: The campaign's open and click tracking switches (booleans, off by default).
TRACKING_ATTRIBUTES = frozenset({"track_opens", "track_clicks"})
#: Names a client may write.
WRITABLE = (
    frozenset({"name", "scheduled_at", "recurring", "cron", "timezone", "template", "audience"})
    | PACING_ATTRIBUTES
    | TRACKING_ATTRIBUTES
)
#: Attributes the server owns; a request that sends one is refused (422) by the HTTP layer.
READ_ONLY = frozenset(
    {
        "status",
        "status_reason",
        "sent_count",
        "failed_count",
        "total_count",
        "next_run_at",
        "runs_count",
        "started_at",
        "completed_at",
        "created_at",
        "updated_at",
    }
)

_NAME_MAX = 200
_ATTRIBUTES = "/data/attributes/"
_RELATIONSHIPS = "/data/relationships/"


# -- lookups --------------------------------------------------------------------------------


def _with_relationships(include_files: bool = False) -> tuple[Any, ...]:
    template = selectinload(BroadcastCampaign.template)
    if include_files:
        template = template.selectinload(BroadcastTemplate.files)
    return template, selectinload(BroadcastCampaign.audience)


def get_campaign(organization_id: str, campaign_id: Any, *, include_files: bool = False) -> BroadcastCampaign:
    """Campaign ``campaign_id`` of the organization, with its template and audience loaded.

    :param include_files: also load the template's files (``include=template.files``).
    :raises NotFoundError: no such campaign in this organization.
    """
    return get_scoped(BroadcastCampaign, organization_id, campaign_id, "campaign", *_with_relationships(include_files))


def _contains(column: Any, term: str) -> Any:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def campaigns_query(
    organization_id: str, *, search: str | None = None, include_files: bool = False
) -> sa.Select[BroadcastCampaign]:
    """The organization's campaigns as a query (the caller sorts and paginates it).

    :param search: case-insensitive substring of the name (``%`` and ``_`` are literal).
    :param include_files: also load each template's files.
    """
    stmt = sa.select(BroadcastCampaign).where(BroadcastCampaign.organization_id == str(organization_id))
    if search:
        stmt = stmt.where(_contains(BroadcastCampaign.name, search))
    return stmt.options(*_with_relationships(include_files))


# -- validation -----------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.errors: list[InvalidInputError] = []
        self.missing: list[NotFoundError] = []

    def add(self, detail: str, pointer: str, code: str) -> None:
        self.errors.append(InvalidInputError(detail, pointer=pointer, code=code))

    def raise_if_any(self) -> None:
        raise_problems(self.errors, self.missing)


def _check_keys(values: Mapping[str, Any]) -> None:
    unknown = set(values) - WRITABLE
    if unknown:
        raise ValueError(f"not writable campaign fields: {', '.join(sorted(unknown))}")


def _clean_attributes(values: Mapping[str, Any], problems: _Problems) -> dict[str, Any]:
    """Validate the attributes present in ``values``; return them normalized."""
    clean: dict[str, Any] = {}
    if "name" in values:
        name = values["name"]
        if not isinstance(name, str) or not name.strip():
            problems.add("A campaign needs a name.", _ATTRIBUTES + "name", "required")
        elif len(name.strip()) > _NAME_MAX:
            problems.add(f"At most {_NAME_MAX} characters.", _ATTRIBUTES + "name", "too_long")
        else:
            clean["name"] = name.strip()
    if "scheduled_at" in values:
        at = values["scheduled_at"]
        if at is not None and (not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None):
            problems.add(
                "scheduled_at must be an ISO 8601 date-time with a UTC offset (e.g. 2026-04-01T09:00:00Z).",
                _ATTRIBUTES + "scheduled_at",
                "naive_datetime",
            )
        else:
            clean["scheduled_at"] = at
    if "recurring" in values:
        clean["recurring"] = bool(values["recurring"])
    for name in TRACKING_ATTRIBUTES & set(values):  # off by default (docs/tracking.rst)
        clean[name] = bool(values[name])
    if "cron" in values:
        cron = values["cron"]
        if cron is None or (isinstance(cron, str) and not cron.strip()):
            clean["cron"] = None
        else:
            try:
                clean["cron"] = validate_cron(cron)
            except ValueError as err:
                problems.add(f"Invalid cron expression: {err}.", _ATTRIBUTES + "cron", "invalid_cron")
    if "timezone" in values:
        zone = values["timezone"]
        if zone is None or zone == "":
            clean["timezone"] = "UTC"
        else:
            try:
                clean["timezone"] = validate_timezone(zone)
            except ValueError:
                problems.add(
                    f"{zone!r} is not an IANA time zone name (e.g. Europe/Paris).",
                    _ATTRIBUTES + "timezone",
                    "invalid_timezone",
                )
    clean.update(clean_pacing(values, problems.add))
    return clean


def _related(organization_id: str, values: Mapping[str, Any], problems: _Problems) -> dict[str, Any]:
    """The template and audience named, each of this organization; a 404 at its relationship
    (``/data/relationships/<name>/data``) for each one that is not, all of them collected."""
    related: dict[str, Any] = {}
    for name, model in (("template", BroadcastTemplate), ("audience", BroadcastAudience)):
        if name not in values:
            continue
        if values[name] is None:
            problems.add(f"A campaign needs a {name}.", _RELATIONSHIPS + name, "required")
            continue
        try:
            related[name] = get_scoped(model, organization_id, values[name], name)
        except NotFoundError:
            problems.missing.append(not_found_at(name, name, values[name]))
    return related


def _check_binding(template: BroadcastTemplate, audience: BroadcastAudience, problems: _Problems) -> None:
    """The audience's recipients must offer every variable of the template's binding type."""
    extension = get_state().extension
    try:
        source = extension.audience_source(audience.audience_type)
    except KeyError:
        problems.add(
            f"The audience type {audience.audience_type!r} is not available in this application.",
            _RELATIONSHIPS + "audience",
            "unknown_audience_type",
        )
        return
    offered = extension.binding_variables
    needed = offered.get(template.binding_type)
    if needed is None or not needed <= offered.get(source.binding_type, frozenset()):
        problems.add(
            f"The template is written for {template.binding_type!r} recipients, but a "
            f"{audience.audience_type!r} audience provides {source.binding_type!r} recipients.",
            _RELATIONSHIPS + "audience",
            "binding_type_mismatch",
        )


def _check_schedule(campaign: BroadcastCampaign, problems: _Problems) -> None:
    check_expiry_after_schedule(campaign.scheduled_at, campaign.expires_at, problems.add)
    already = any(error.pointer == _ATTRIBUTES + "cron" for error in problems.errors)
    if campaign.recurring and not campaign.cron and not already:
        problems.add("A recurring campaign needs a cron expression.", _ATTRIBUTES + "cron", "cron_required")


def _require_editable(campaign: BroadcastCampaign, action: str) -> None:
    status = campaign.status_enum
    if not status.is_editable:
        raise ConflictError(
            f"Campaign {campaign.id} is {status.value}; only a draft can be {action}. "
            "Stop the campaign first to make it a draft again.",
            code="campaign_not_editable",
        )


def _lock(organization_id: str, campaign_id: Any) -> BroadcastCampaign:
    """The campaign, row-locked until commit, so a concurrent start cannot slip in between
    the status check and the write (``FOR UPDATE`` on PostgreSQL; a no-op on SQLite)."""
    pk = parse_id(campaign_id)
    campaign = None
    if pk is not None:
        campaign = get_state().session.scalar(
            sa.select(BroadcastCampaign)
            .where(BroadcastCampaign.id == pk, BroadcastCampaign.organization_id == str(organization_id))
            .with_for_update()
        )
    if campaign is None:
        raise NotFoundError(f"No campaign {campaign_id} in this organization.", code="not_found")
    return campaign


# -- writes ---------------------------------------------------------------------------------


def create_campaign(organization_id: str, values: Mapping[str, Any]) -> BroadcastCampaign:
    """Create a draft campaign from ``values`` (names in :data:`WRITABLE`) and commit.

    ``name``, ``template`` and ``audience`` are required; ``recurring`` defaults to
    false, ``timezone`` to ``UTC``; ``cron`` is required when ``recurring``.

    :raises NotFoundError: the template or audience is not in this organization (each at its
        relationship; :class:`~flask_broadcasts.errors.BadRequestError` with invalid values too).
    :raises InvalidInputError: every invalid value, with pointers.
    """
    _check_keys(values)
    problems = _Problems()
    complete = {"name": None, "template": None, "audience": None, **values}
    clean = _clean_attributes(complete, problems)
    related = _related(organization_id, complete, problems)
    if "template" in related and "audience" in related:
        _check_binding(related["template"], related["audience"], problems)
    campaign = BroadcastCampaign(
        organization_id=str(organization_id), **{"recurring": False, "timezone": "UTC", **clean}
    )
    _check_schedule(campaign, problems)
    problems.raise_if_any()
    campaign.template = related["template"]
    campaign.audience = related["audience"]
    session = get_state().session
    session.add(campaign)
    session.commit()
    return get_campaign(organization_id, campaign.id)


def update_campaign(organization_id: str, campaign_id: Any, changes: Mapping[str, Any]) -> BroadcastCampaign:
    """Apply ``changes`` (a partial set of :data:`WRITABLE` names) to a draft and commit.

    :raises NotFoundError: no such campaign, template or audience in this organization.
    :raises ConflictError: the campaign is not a draft.
    :raises InvalidInputError: every invalid value, with pointers.
    """
    _check_keys(changes)
    campaign = _lock(organization_id, campaign_id)
    _require_editable(campaign, "edited")
    problems = _Problems()
    clean = _clean_attributes(changes, problems)
    related = _related(organization_id, changes, problems)
    if ("template" in related or "audience" in related) and not (problems.errors or problems.missing):
        session = get_state().session
        template = related.get("template") or session.get(BroadcastTemplate, campaign.template_id)
        audience = related.get("audience") or session.get(BroadcastAudience, campaign.audience_id)
        assert template is not None and audience is not None  # the campaign's foreign keys
        _check_binding(template, audience, problems)
    problems.raise_if_any()
    for key, value in clean.items():
        setattr(campaign, key, value)
    for key, obj in related.items():
        setattr(campaign, f"{key}_id", obj.id)
    _check_schedule(campaign, problems)
    session = get_state().session
    if problems.errors:
        session.rollback()
        problems.raise_if_any()
    session.commit()
    return get_campaign(organization_id, campaign.id)


def delete_campaign(organization_id: str, campaign_id: Any) -> None:
    """Delete a draft campaign (its stored messages and runs go with it) and commit.

    :raises NotFoundError: no such campaign in this organization.
    :raises ConflictError: the campaign is not a draft.
    """
    campaign = _lock(organization_id, campaign_id)
    _require_editable(campaign, "deleted")
    session = get_state().session
    # Children are deleted here, not left to ON DELETE CASCADE: SQLite hosts usually
    # run without foreign-key enforcement.
    messages = sa.select(BroadcastMessage.id).where(BroadcastMessage.campaign_id == campaign.id)
    session.execute(sa.delete(BroadcastSentEmail).where(BroadcastSentEmail.message_id.in_(messages)))
    session.execute(sa.delete(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign.id))
    session.execute(sa.delete(BroadcastRun).where(BroadcastRun.campaign_id == campaign.id))
    session.execute(sa.delete(BroadcastRunContent).where(BroadcastRunContent.campaign_id == campaign.id))
    session.execute(sa.delete(BroadcastCampaign).where(BroadcastCampaign.id == campaign.id))
    session.commit()
