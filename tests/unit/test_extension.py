"""flask_broadcasts.extension: the ``Broadcasts`` object a host registers and configures.

A host relies on: ``init_app`` refusing a second registration and a missing ``db``, the auth
hooks being fail-closed (no hook: nobody gets in), and the optional hooks falling back as
documented (the organization's id as its name, no rate of its own, no SMS number owner).
Apps on an in-memory SQLite URL that is never queried.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_broadcasts import Broadcasts, get_state
from tests.support.host import customers_source, make_app


def _bare() -> tuple[Flask, Broadcasts]:
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://")
    broadcasts = Broadcasts(db=SQLAlchemy(app))
    broadcasts.init_app(app)
    return app, broadcasts


def test_init_app_needs_the_hosts_db_and_refuses_a_second_registration():
    with pytest.raises(RuntimeError, match="Flask-SQLAlchemy instance"):
        Broadcasts(Flask(__name__))
    app, broadcasts = _bare()
    assert get_state(app).extension is broadcasts
    with pytest.raises(RuntimeError, match="already registered"):
        broadcasts.init_app(app)


def test_without_auth_hooks_nobody_gets_in():
    _, broadcasts = _bare()
    assert broadcasts.missing_hooks() == ("token_loader", "organization_access")
    assert broadcasts.load_principal("any") is None
    assert broadcasts.may_access(object(), "1") is False
    broadcasts.token_loader(lambda token: {"token": token})
    broadcasts.organization_access(lambda principal, organization_id: organization_id == "1")
    assert broadcasts.missing_hooks() == ()
    assert broadcasts.load_principal("t") == {"token": "t"}
    assert (broadcasts.may_access({}, "1"), broadcasts.may_access({}, "2")) == (True, False)


def test_optional_hooks_fall_back_as_documented():
    _, broadcasts = _bare()
    assert broadcasts.name_of_organization("42") == "42"
    assert broadcasts.rate_limit_of("42", "mail") is None
    assert broadcasts.organization_of_sms_number("+14155550100") is None
    assert broadcasts.dashboard_session_of_request() is None

    broadcasts.organization_name(lambda organization_id: {"42": "Salon"}.get(organization_id))
    broadcasts.rate_limit(lambda organization_id, channel: {"mail": 5, "sms": 0}[channel])
    broadcasts.sms_number_organization(lambda number: "" if number.endswith("0") else 7)
    broadcasts.dashboard_session(lambda: ("tok", 9))
    assert (broadcasts.name_of_organization("42"), broadcasts.name_of_organization("43")) == ("Salon", "43")
    # 0 means "no limit of its own", as None does; a number comes back as a float.
    assert (broadcasts.rate_limit_of("42", "mail"), broadcasts.rate_limit_of("42", "sms")) == (5.0, None)
    assert broadcasts.organization_of_sms_number("+14155550100") is None  # "" is no organization
    assert broadcasts.organization_of_sms_number("+14155550101") == "7"
    assert broadcasts.dashboard_session_of_request() == ("tok", "9")


def test_audience_types_list_the_sources_and_community_last():
    app = make_app()
    extension = get_state(app).extension
    assert extension.audience_types == ("customers", "bookings", "community")
    # A community's recipients are its member source's.
    assert extension.audience_source("community") is customers_source
    assert extension.source_for_resource_type("bookings").audience_type == "bookings"
    assert extension.source_for_resource_type("nothing") is None
    assert "unsubscribe_url" in extension.binding_variables["customer"]
    assert "booking_date" in extension.binding_variables["booking"]
