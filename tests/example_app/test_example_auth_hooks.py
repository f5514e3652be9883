"""The auth hooks registered with the extension: tokens by hash, memberships by id string."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from example_app.extensions import broadcasts, db
from example_app.models import ApiToken, User, hash_token


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
