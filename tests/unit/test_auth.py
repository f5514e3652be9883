"""flask_broadcasts.auth: who a JSON:API request is and for which organization, fail-closed.

A host relies on: the ``Authorization: Bearer`` token read whatever the scheme's case, a
stranger told 401 before anything about ``?o=``, a non-member 403, and
``current_organization_id()`` answering only inside an authenticated request. The small
host (tests/support/host.py) is built on an in-memory SQLite URL that is never queried.
"""

from __future__ import annotations

import warnings

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_broadcasts import Broadcasts, BroadcastsSetupWarning
from flask_broadcasts.auth import (
    Tenant,
    authenticate,
    authenticate_request,
    bearer_token,
    current_organization_id,
    parse_organization_id,
)
from flask_broadcasts.errors import BadRequestError, ForbiddenError, UnauthorizedError
from tests.support.host import ORG_A, ORG_B, make_app


@pytest.fixture
def app() -> Flask:
    return make_app()


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer token-a", "token-a"), ("bEaReR   token-a  ", "token-a"), ("Bearer ", None), ("Basic token-a", None)],
)
def test_the_bearer_token_is_read_whatever_the_schemes_case_and_an_empty_one_is_none(app, header, token):
    with app.test_request_context(headers={"Authorization": header}):
        assert bearer_token() == token


def test_a_stranger_is_told_401_before_anything_about_the_organization(app):
    with app.app_context():
        # A malformed ?o= would be a 400 for a member: a stranger learns nothing of it.
        with pytest.raises(UnauthorizedError):
            authenticate("no-such-token", "bad id!")
        with pytest.raises(UnauthorizedError):
            authenticate(None, ORG_A)
        with pytest.raises(BadRequestError) as missing:
            authenticate("token-a", None)
        assert missing.value.parameter == "o"
        with pytest.raises(BadRequestError):
            authenticate("token-a", "x" * 65)
        with pytest.raises(ForbiddenError):
            authenticate("token-a", ORG_B)
        tenant = authenticate("token-a", ORG_A)
    assert tenant.organization_id == ORG_A and tenant.principal.name == "alice"
    assert parse_organization_id("2f1c-UUID_like") == "2f1c-UUID_like"


def test_current_organization_id_is_the_raw_o_of_an_authenticated_request_only(app):
    with app.test_request_context(), pytest.raises(RuntimeError, match="only available"):
        current_organization_id()
    with app.test_request_context(f"/api/x?o={ORG_A}", headers={"Authorization": "Bearer token-a"}):
        authenticate_request()
        assert current_organization_id() == ORG_A


def test_the_principals_id_is_recorded_as_text():
    class User:
        id = 42

    assert Tenant(principal=User(), organization_id="1").principal_id == "42"
    assert Tenant(principal=object(), organization_id="1").principal_id is None


def test_a_host_without_hooks_refuses_everyone_and_is_warned_once():
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://")
    Broadcasts(app, db=SQLAlchemy(app))
    with app.app_context():
        hooks = "@broadcasts.token_loader and @broadcasts.organization_access"
        with pytest.warns(BroadcastsSetupWarning, match=hooks), pytest.raises(UnauthorizedError):
            authenticate("any-token", "1")
        with warnings.catch_warnings():
            warnings.simplefilter("error", BroadcastsSetupWarning)  # a second warning would fail here
            with pytest.raises(UnauthorizedError):
                authenticate("any-token", "1")
