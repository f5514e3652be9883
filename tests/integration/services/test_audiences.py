"""Tests of flask_broadcasts.services.audiences.

Validation by the host's filter schemas, communities, tenancy, counts."""

from __future__ import annotations

import datetime as dt

import pytest

from flask_broadcasts.errors import BroadcastsError, ConflictError, InvalidInputError, NotFoundError
from flask_broadcasts.models import BroadcastCampaign, BroadcastTemplate
from flask_broadcasts.services import audiences as svc
from flask_broadcasts.state import get_state
from tests.support import host_fixtures
from tests.support.host_fixtures import ORG, OTHER_ORG, Booking, Community, Customer, community_members

# The plain small host (no Redis, no SMTP), not this folder's sending one.
app = host_fixtures.app

CUSTOMERS = {"name": "Active", "audience_type": "customers", "filters": {"status": "active"}}


@pytest.fixture
def people(app):
    """Org 1: ada (active), bob (inactive), cyd (active) with bookings; community 'club' = ada+bob.
    Org 2: eve, and its community 'other'."""
    session = get_state().session
    ada = Customer(organization_id=ORG, first_name="Ada", status="active")
    bob = Customer(organization_id=ORG, first_name="Bob", status="inactive")
    cyd = Customer(organization_id=ORG, first_name="Cyd", status="active")
    eve = Customer(organization_id=OTHER_ORG, first_name="Eve")
    club = Community(organization_id=ORG, name="club")
    other = Community(organization_id=OTHER_ORG, name="other")
    session.add_all([ada, bob, cyd, eve, club, other])
    session.flush()
    session.add_all(
        [
            Booking(organization_id=ORG, customer=ada, date=dt.date(2026, 3, 1)),
            Booking(organization_id=ORG, customer=cyd, date=dt.date(2026, 4, 2)),
            Booking(organization_id=ORG, customer=cyd, date=dt.date(2026, 4, 3), status="cancelled"),
        ]
    )
    session.execute(
        community_members.insert(),
        [
            {"community_id": club.id, "customer_id": ada.id},
            {"community_id": club.id, "customer_id": bob.id},
            {"community_id": other.id, "customer_id": eve.id},
        ],
    )
    session.commit()
    return {"club": str(club.id), "other": str(other.id)}


def errors_of(excinfo) -> dict[str, str]:
    return {e.pointer: e.error_code for e in excinfo.value.errors}


def test_create_and_round_trip(app):
    audience = svc.create_audience(ORG, {**CUSTOMERS, "is_template": True})
    stored = svc.get_audience(ORG, str(audience.id))
    assert (stored.name, stored.audience_type, stored.filters, stored.is_template, stored.community_id) == (
        "Active",
        "customers",
        {"status": "active"},
        True,
        None,
    )


def test_filters_are_stored_as_sent_and_loaded_typed_for_the_host(people):
    audience = svc.create_audience(
        ORG,
        {"name": "April", "audience_type": "bookings", "filters": {"status": "accepted", "date_from": "2026-04-01"}},
    )
    assert audience.filters == {"status": "accepted", "date_from": "2026-04-01"}
    assert svc.audience_member_count(audience) == 1


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"name": ""}, {"/data/attributes/name": "required"}),
        ({"name": 5}, {"/data/attributes/name": "invalid_type"}),
        ({"name": "n" * 201}, {"/data/attributes/name": "too_long"}),
        ({"audience_type": None}, {"/data/attributes/audience_type": "required"}),
        ({"audience_type": "robots"}, {"/data/attributes/audience_type": "invalid_audience_type"}),
        ({"filters": {"colour": "red"}}, {"/data/attributes/filters/colour": "unknown_filter"}),
        ({"filters": {"status": "asleep"}}, {"/data/attributes/filters/status": "invalid_filter"}),
        (
            {"filters": {"status": "zzz", "nope": 1}},
            {"/data/attributes/filters/status": "invalid_filter", "/data/attributes/filters/nope": "unknown_filter"},
        ),
        ({"filters": ["status"]}, {"/data/attributes/filters": "invalid_type"}),
        ({"is_template": 1}, {"/data/attributes/is_template": "invalid_type"}),
        ({"community_id": "1"}, {"/data/relationships/community": "not_allowed"}),
        ({"audience_type": "community", "filters": {}}, {"/data/relationships/community": "required"}),
        (
            {"audience_type": "community", "filters": {"status": "active"}, "community_id": "1"},
            # Every problem at once: there is no community 1 either.
            {"/data/attributes/filters": "no_filters", "/data/relationships/community/data": "not_found"},
        ),
        (
            {"audience_type": "bookings", "filters": {"date_from": "yesterday"}},
            {"/data/attributes/filters/date_from": "invalid_filter"},
        ),
        ({"extra": 1}, {"/data/attributes/extra": "unknown_attribute"}),
        (
            {"name": None, "audience_type": "x"},
            {"/data/attributes/name": "required", "/data/attributes/audience_type": "invalid_audience_type"},
        ),
    ],
)
def test_validation_errors(app, values, expected):
    with pytest.raises(BroadcastsError) as excinfo:  # 422, or 400 with a 404 among them
        svc.create_audience(ORG, {**CUSTOMERS, **values})
    assert errors_of(excinfo) == expected


def test_community_audience(people):
    audience = svc.create_audience(ORG, {"name": "Club", "audience_type": "community", "community_id": people["club"]})
    assert audience.community_id == people["club"] and audience.filters == {}
    assert svc.get_audience_community(audience).name == "club"
    assert svc.audience_member_count(audience) == 2


@pytest.mark.parametrize("community", ["other", "missing", "junk"])
def test_community_of_another_organization_is_not_found(people, community):
    community_id = {"other": people["other"], "missing": "999", "junk": "x'; --"}[community]
    with pytest.raises(NotFoundError) as excinfo:
        svc.create_audience(ORG, {"name": "Club", "audience_type": "community", "community_id": community_id})
    assert excinfo.value.pointer == "/data/relationships/community/data"


def test_member_counts(people):
    def count(**values):
        return svc.audience_member_count(svc.create_audience(ORG, {"name": "x", **values}))

    assert count(audience_type="customers") == 3
    assert count(audience_type="customers", filters={"status": "active"}) == 2
    assert count(audience_type="customers", filters={"search": "a"}) == 1  # Ada only
    assert count(audience_type="bookings") == 3
    assert count(audience_type="bookings", filters={"status": "cancelled"}) == 1


def test_other_organization_is_not_found(app):
    audience = svc.create_audience(ORG, CUSTOMERS)
    for call in (
        lambda: svc.get_audience(OTHER_ORG, audience.id),
        lambda: svc.update_audience(OTHER_ORG, audience.id, {"name": "stolen"}),
        lambda: svc.delete_audience(OTHER_ORG, audience.id),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert svc.get_audience(ORG, audience.id).name == "Active"


def test_update(people):
    audience = svc.create_audience(ORG, CUSTOMERS)
    assert svc.update_audience(ORG, audience.id, {"name": "Renamed"}).filters == {"status": "active"}
    with pytest.raises(InvalidInputError) as excinfo:
        svc.update_audience(ORG, audience.id, {"filters": {"nope": 1}})
    assert errors_of(excinfo) == {"/data/attributes/filters/nope": "unknown_filter"}
    # Switching type drops filters of the old type unless new ones are sent.
    switched = svc.update_audience(ORG, audience.id, {"audience_type": "community", "community_id": people["club"]})
    assert (switched.filters, switched.community_id) == ({}, people["club"])
    back = svc.update_audience(ORG, audience.id, {"audience_type": "bookings", "filters": {"status": "accepted"}})
    assert (back.community_id, back.filters) == (None, {"status": "accepted"})
    with pytest.raises(NotFoundError):
        svc.update_audience(ORG, audience.id, {"audience_type": "community", "community_id": people["other"]})


def test_list_filters(app):
    svc.create_audience(ORG, {**CUSTOMERS, "name": "Active customers", "is_template": True})
    svc.create_audience(ORG, {"name": "Bookings", "audience_type": "bookings"})
    svc.create_audience(OTHER_ORG, {**CUSTOMERS, "name": "Active elsewhere"})
    session = get_state().session

    def names(**filters):
        return sorted(a.name for a in session.scalars(svc.list_audiences(ORG, **filters)))

    assert names() == ["Active customers", "Bookings"]
    assert names(search="active") == ["Active customers"]
    assert names(audience_type="bookings") == ["Bookings"]
    assert names(is_template=True) == ["Active customers"]


def test_delete_refused_while_a_campaign_uses_it(app):
    audience = svc.create_audience(ORG, CUSTOMERS)
    session = get_state().session
    template = BroadcastTemplate(organization_id=ORG, name="t", channels=["mail"])
    session.add(template)
    session.flush()
    session.add(BroadcastCampaign(organization_id=ORG, name="c", template_id=template.id, audience_id=audience.id))
    session.commit()
    with pytest.raises(ConflictError):
        svc.delete_audience(ORG, audience.id)
    svc.delete_audience(ORG, svc.create_audience(ORG, CUSTOMERS).id)
