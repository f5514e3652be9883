"""The auth hooks registered with the extension: tokens by hash, memberships by id string; a hook
that says why it refuses (``AccessDenied``), and ``current_organization_id()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from example_app.extensions import broadcasts, db
from example_app.models import ApiToken, User, hash_token
from flask_broadcasts import AccessDenied, current_organization_id
from flask_broadcasts.errors import ForbiddenError


def test_token_loader_finds_the_user_by_the_hash(app: Flask, tenant) -> None:
    user = broadcasts.load_principal(tenant.token)
    assert isinstance(user, User) and user.id == tenant.user_id
    # Only the hash is stored.
    assert db.session.query(ApiToken).filter_by(token_hash=tenant.token).count() == 0
    assert db.session.query(ApiToken).filter_by(token_hash=hash_token(tenant.token)).count() == 1
    assert broadcasts.load_principal("unknown") is None
    assert broadcasts.load_principal("") is None


def test_revoked_tokens_and_inactive_users_are_refused(app: Flask, tenant) -> None:
    token = db.session.query(ApiToken).filter_by(token_hash=hash_token(tenant.token)).one()
    token.revoked_at = datetime.now(UTC)
    db.session.commit()
    assert broadcasts.load_principal(tenant.token) is None

    token.revoked_at = None
    db.session.get(User, tenant.user_id).is_active = False
    db.session.commit()
    assert broadcasts.load_principal(tenant.token) is None


def test_organization_access(app: Flask, tenant, other_tenant) -> None:
    user = broadcasts.load_principal(tenant.token)
    assert broadcasts.may_access(user, str(tenant.id)) is True
    assert broadcasts.may_access(user, str(other_tenant.id)) is False
    # Malformed ids are a "no", never an exception.
    for organization_id in ("abc", "", " 1", "+1", "1_0", "1.0", "9" * 40, "٣"):
        assert broadcasts.may_access(user, organization_id) is False, organization_id


def test_host_api_uses_the_same_rules(client, tenant) -> None:
    db.session.get(User, tenant.user_id).is_active = False
    db.session.commit()
    assert client.get(f"/api/customers?o={tenant.id}", headers=tenant.headers).status_code == 401


# -- the hook's reasons and the tenant helper, over HTTP -------------------------------------

CAMPAIGNS = "/api/broadcast-campaigns"


@pytest.fixture
def access_hook(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[Any, str], bool]], None]:
    """Register another ``organization_access`` hook for one test (the example's comes back)."""
    monkeypatch.setattr(broadcasts, "_organization_access", broadcasts._organization_access)
    return broadcasts.organization_access


def test_a_hook_raising_access_denied_gives_its_reason_and_code(client, tenant, access_hook) -> None:
    @access_hook
    def only_managers(user: Any, organization_id: str) -> bool:
        raise AccessDenied("Only managers may send broadcasts.", code="role_forbidden")

    response = client.get(f"{CAMPAIGNS}?o={tenant.id}", headers=tenant.headers)
    assert response.status_code == 403
    assert response.mimetype == "application/vnd.api+json"
    assert response.get_json()["errors"] == [
        {
            "status": "403",
            "title": "Forbidden",
            "detail": "Only managers may send broadcasts.",
            "code": "role_forbidden",
            "source": {"parameter": "o"},
        }
    ]


def test_access_denied_without_a_code_and_a_hook_saying_no(client, tenant, access_hook) -> None:
    @access_hook
    def refuse(user: Any, organization_id: str) -> bool:
        if organization_id == str(tenant.id):
            raise AccessDenied("Your subscription has ended.")
        return False

    (error,) = client.get(f"{CAMPAIGNS}?o={tenant.id}", headers=tenant.headers).get_json()["errors"]
    assert error["detail"] == "Your subscription has ended." and "code" not in error
    response = client.get(f"{CAMPAIGNS}?o=999", headers=tenant.headers)
    assert response.status_code == 403
    # A hook returning False keeps the message every client knows.
    assert response.get_json()["errors"][0]["detail"] == "You are not a member of this organization."


def test_access_denied_is_the_packages_forbidden_error() -> None:
    error = AccessDenied("No.", code="role_forbidden")
    assert isinstance(error, ForbiddenError) and error.code == 403 and error.error_code == "role_forbidden"


def test_current_organization_id_is_the_raw_o_of_the_request(client, tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []
    source = broadcasts.audience_sources["customers"]

    def spying_filters(stmt: Any, filters: Any, organization_id: str) -> Any:
        seen.append((current_organization_id(), organization_id))
        return source.apply_filters(stmt, filters, organization_id)

    monkeypatch.setitem(broadcasts.audience_sources, "customers", replace(source, apply_filters=spying_filters))
    response = client.post(
        f"/api/broadcast-audiences?o={tenant.id}",
        json={"data": {"type": "broadcast-audiences", "attributes": {"name": "All", "audience_type": "customers"}}},
        headers={**tenant.headers, "Content-Type": "application/vnd.api+json"},
    )
    assert response.status_code == 201, response.get_json()
    assert seen and set(seen) == {(str(tenant.id), str(tenant.id))}


def test_current_organization_id_outside_the_api_is_a_clear_error(app: Flask, client, tenant) -> None:
    with pytest.raises(RuntimeError, match="only available while flask-broadcasts serves"):
        current_organization_id()  # an app context, no request
    with app.test_request_context(f"/api/customers?o={tenant.id}"), pytest.raises(RuntimeError, match="JSON:API"):
        current_organization_id()  # a request the extension does not serve
