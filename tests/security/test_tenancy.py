"""Tenancy: tenant A reaching for tenant B's rows, by every route and every id position.

Every probe is counted in the session tally; a leak is a probe answered with anything but
the expected status, or one after which B's row changed, or one whose document shows a B id.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask

from example_app.extensions import db
from example_app.models import ApiToken, User, hash_token
from flask_broadcasts import models as bm
from tests.support.jsonapi_validation import enable_jsonapi_validation
from tests.support.security import MEDIA_TYPE, TALLY, TenantWorld, World, row_counts, snapshot

FAMILY = "tenancy"


@pytest.fixture(autouse=True)
def _validate(monkeypatch: pytest.MonkeyPatch) -> None:
    enable_jsonapi_validation(monkeypatch, api_prefixes=("/api",))


def call(
    client: Any,
    method: str,
    path: str,
    *,
    as_: TenantWorld,
    org: str | None = None,
    body: Any = None,
    params: dict[str, str] | None = None,
    token: str | None = None,
) -> Any:
    query = urlencode({"o": org if org is not None else as_.org, **(params or {})})
    headers = {**as_.headers}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body) if body is not None else None
    return client.open(f"/api{path}?{query}", method=method, headers=headers, data=data)


def _b_ids(world: World) -> set[str]:
    b = world.b
    return {
        f"{t}:{i}"
        for t, i in (
            ("broadcast-templates", b.template),
            ("broadcast-files", b.file),
            ("broadcast-audiences", b.audience),
            ("broadcast-audiences", b.community_audience),
            ("broadcast-campaigns", b.campaign),
            ("broadcast-campaigns", b.running_campaign),
            ("broadcast-messages", b.message),
            ("customers", b.customer),
            ("bookings", b.booking),
            ("communities", b.community),
        )
    }


def _leaks_b(response: Any, world: World) -> bool:
    """Whether a document names a resource of B (in data, included or linkage)."""
    if response.mimetype != MEDIA_TYPE or not response.data:
        return False
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("type"), str) and "id" in value:
                found.add(f"{value['type']}:{value['id']}")
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(response.get_json(force=True))
    return bool(found & _b_ids(world))


def _b_rows(world: World) -> dict[str, Any]:
    b = world.b
    return {
        "template": snapshot(bm.BroadcastTemplate, b.template),
        "file": snapshot(bm.BroadcastFile, b.file),
        "audience": snapshot(bm.BroadcastAudience, b.audience),
        "community_audience": snapshot(bm.BroadcastAudience, b.community_audience),
        "campaign": snapshot(bm.BroadcastCampaign, b.campaign),
        "running": snapshot(bm.BroadcastCampaign, b.running_campaign),
        "message": snapshot(bm.BroadcastMessage, b.message),
    }


def _path_probes(world: World) -> list[tuple[str, str, Any]]:
    b = world.b
    patch = lambda type_, id_, attrs: {"data": {"type": type_, "id": id_, "attributes": attrs}}  # noqa: E731
    return [
        ("GET", f"/broadcast-templates/{b.template}", None),
        ("GET", f"/broadcast-templates/{b.template}?include=files", None),
        ("PATCH", f"/broadcast-templates/{b.template}", patch("broadcast-templates", b.template, {"name": "pwned"})),
        ("DELETE", f"/broadcast-templates/{b.template}", None),
        ("GET", f"/broadcast-files/{b.file}", None),
        ("DELETE", f"/broadcast-files/{b.file}", None),
        ("GET", f"/broadcast-audiences/{b.audience}", None),
        ("GET", f"/broadcast-audiences/{b.community_audience}?include=community", None),
        ("PATCH", f"/broadcast-audiences/{b.audience}", patch("broadcast-audiences", b.audience, {"name": "pwned"})),
        ("DELETE", f"/broadcast-audiences/{b.audience}", None),
        ("GET", f"/broadcast-campaigns/{b.campaign}", None),
        ("PATCH", f"/broadcast-campaigns/{b.campaign}", patch("broadcast-campaigns", b.campaign, {"name": "pwned"})),
        ("DELETE", f"/broadcast-campaigns/{b.campaign}", None),
        ("GET", f"/broadcast-campaigns/{b.campaign}/start", None),
        ("GET", f"/broadcast-campaigns/{b.running_campaign}/stop", None),
        ("GET", f"/broadcast-campaigns/{b.campaign}/stop", None),
        ("GET", f"/broadcast-campaigns/{b.running_campaign}/messages", None),
        ("GET", f"/broadcast-campaigns/{b.campaign}/draft-messages", None),
        ("GET", f"/broadcast-messages/{b.message}", None),
        ("GET", f"/broadcast-messages/{b.message}?include=campaign,recipient,customer,sent_email", None),
    ]


def _split(path: str) -> tuple[str, dict[str, str]]:
    path, _, query = path.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if part)
    return path, params


def test_other_tenants_ids_in_paths_are_404_and_change_nothing(app: Flask, world: World) -> None:
    client = app.test_client()
    before, counts = _b_rows(world), row_counts()
    for method, target, body in _path_probes(world):
        path, params = _split(target)
        response = call(client, method, path, as_=world.a, body=body, params=params)
        leaked = response.status_code != 404 or _leaks_b(response, world)
        TALLY.probe(FAMILY, leaked=leaked, server_error=response.status_code >= 500)
        assert response.status_code == 404, (method, target, response.get_data(as_text=True))
        assert not _leaks_b(response, world)
        assert _b_rows(world) == before, (method, target)
    assert row_counts() == counts


def test_other_tenants_files_on_the_plain_routes_are_404(app: Flask, world: World) -> None:
    client = app.test_client()
    before = _b_rows(world)
    a, b = world.a, world.b
    headers = {"Authorization": f"Bearer {a.token}"}
    download = client.get(f"/api/broadcast-files/{b.file}/content?o={a.org}", headers=headers)
    upload = client.post(
        f"/api/broadcast-templates/{b.template}/files?o={a.org}",
        headers=headers,
        data={"file": (__import__("io").BytesIO(b"hello"), "x.txt", "text/plain")},
        content_type="multipart/form-data",
    )
    for response in (download, upload):
        TALLY.probe(FAMILY, leaked=response.status_code != 404, server_error=response.status_code >= 500)
        assert response.status_code == 404
        assert b"hello" not in response.data
    assert _b_rows(world) == before


def _relationship_probes(world: World) -> list[tuple[str, str, Any, str | None]]:
    """(method, path, document, A row id that must not change)."""
    a, b = world.a, world.b

    def linkage(type_: str, id_: str) -> dict[str, Any]:
        return {"data": {"type": type_, "id": id_}}

    def campaign(template: str, audience: str, id_: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "broadcast-campaigns",
            "attributes": {"name": "X"},
            "relationships": {
                "template": linkage("broadcast-templates", template),
                "audience": linkage("broadcast-audiences", audience),
            },
        }
        if id_:
            data["id"] = id_
        return {"data": data}

    def community_audience(community: str, id_: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "broadcast-audiences",
            "attributes": {"name": "X", "audience_type": "community"},
            "relationships": {"community": linkage("communities", community)},
        }
        if id_:
            data["id"] = id_
        return {"data": data}

    return [
        ("POST", "/broadcast-campaigns", campaign(b.template, a.audience), None),
        ("POST", "/broadcast-campaigns", campaign(a.template, b.audience), None),
        ("POST", "/broadcast-campaigns", campaign(b.template, b.audience), None),
        ("PATCH", f"/broadcast-campaigns/{a.campaign}", campaign(b.template, a.audience, a.campaign), a.campaign),
        ("PATCH", f"/broadcast-campaigns/{a.campaign}", campaign(a.template, b.audience, a.campaign), a.campaign),
        ("POST", "/broadcast-audiences", community_audience(b.community), None),
        (
            "PATCH",
            f"/broadcast-audiences/{a.community_audience}",
            community_audience(b.community, a.community_audience),
            a.community_audience,
        ),
    ]


def test_other_tenants_ids_in_relationships_are_404_and_write_nothing(app: Flask, world: World) -> None:
    client = app.test_client()
    before_b, counts = _b_rows(world), row_counts()
    for method, path, document, a_row in _relationship_probes(world):
        model = bm.BroadcastCampaign if "campaigns" in path else bm.BroadcastAudience
        before_a = snapshot(model, a_row) if a_row else None
        response = call(client, method, path, as_=world.a, body=document)
        changed = a_row is not None and snapshot(model, a_row) != before_a
        leaked = response.status_code != 404 or changed or _leaks_b(response, world)
        TALLY.probe(FAMILY, leaked=leaked, server_error=response.status_code >= 500)
        assert response.status_code == 404, (method, path, document, response.get_data(as_text=True))
        assert not changed
    assert row_counts() == counts
    assert _b_rows(world) == before_b


def test_includes_and_filters_never_reach_another_tenant(app: Flask, world: World) -> None:
    client = app.test_client()
    a = world.a
    reads = [
        ("/broadcast-campaigns", {"include": "template.files,audience"}),
        (f"/broadcast-campaigns/{a.campaign}", {"include": "template.files,audience"}),
        ("/broadcast-templates", {"include": "files"}),
        ("/broadcast-audiences", {"include": "community"}),
        (f"/broadcast-campaigns/{a.running_campaign}/messages", {"include": "campaign,recipient,customer,sent_email"}),
        (f"/broadcast-messages/{a.message}", {"include": "campaign,recipient,customer,sent_email"}),
        (f"/broadcast-campaigns/{a.campaign}/draft-messages", {"include": "campaign,recipient,customer"}),
        ("/broadcast-templates", {"filter[search]": "Globex"}),
        ("/broadcast-audiences", {"filter[search]": "Globex"}),
        ("/broadcast-campaigns", {"filter[search]": "Globex"}),
        (f"/broadcast-campaigns/{a.running_campaign}/messages", {"filter[status]": "delivered"}),
    ]
    for path, params in reads:
        response = call(client, "GET", path, as_=a, params=params)
        leaked = response.status_code != 200 or _leaks_b(response, world)
        TALLY.probe(FAMILY, leaked=leaked, server_error=response.status_code >= 500)
        assert response.status_code == 200, (path, params, response.get_data(as_text=True))
        assert not _leaks_b(response, world), (path, params)
        if "filter[search]" in params:
            assert response.get_json()["data"] == []

    # An audience of A filtered to match B's customer reaches nobody.
    document = {
        "data": {
            "type": "broadcast-audiences",
            "attributes": {"name": "Globex people", "audience_type": "customers", "filters": {"search": "globex"}},
        }
    }
    created = call(client, "POST", "/broadcast-audiences", as_=a, body=document)
    assert created.status_code == 201
    TALLY.probe(FAMILY, leaked=created.get_json()["data"]["meta"]["member_count"] != 0)
    assert created.get_json()["data"]["meta"]["member_count"] == 0


def _every_route(world: World) -> list[tuple[str, str]]:
    a = world.a
    return [
        ("GET", "/broadcast-templates"),
        ("POST", "/broadcast-templates"),
        ("GET", f"/broadcast-templates/{a.template}"),
        ("PATCH", f"/broadcast-templates/{a.template}"),
        ("DELETE", f"/broadcast-templates/{a.template}"),
        ("GET", f"/broadcast-files/{a.file}"),
        ("DELETE", f"/broadcast-files/{a.file}"),
        ("GET", f"/broadcast-files/{a.file}/content"),
        ("POST", f"/broadcast-templates/{a.template}/files"),
        ("GET", "/broadcast-audiences"),
        ("POST", "/broadcast-audiences"),
        ("GET", f"/broadcast-audiences/{a.audience}"),
        ("PATCH", f"/broadcast-audiences/{a.audience}"),
        ("DELETE", f"/broadcast-audiences/{a.audience}"),
        ("GET", "/broadcast-campaigns"),
        ("POST", "/broadcast-campaigns"),
        ("GET", f"/broadcast-campaigns/{a.campaign}"),
        ("PATCH", f"/broadcast-campaigns/{a.campaign}"),
        ("DELETE", f"/broadcast-campaigns/{a.campaign}"),
        ("GET", f"/broadcast-campaigns/{a.campaign}/start"),
        ("GET", f"/broadcast-campaigns/{a.running_campaign}/stop"),
        ("GET", f"/broadcast-campaigns/{a.running_campaign}/messages"),
        ("GET", f"/broadcast-campaigns/{a.campaign}/draft-messages"),
        ("GET", f"/broadcast-messages/{a.message}"),
    ]


def _revoked_token(world: World) -> str:
    token = "revoked-" + world.a.token
    db.session.add(
        ApiToken(user_id=world.a.user_id, token_hash=hash_token(token), revoked_at=datetime(2026, 1, 1, tzinfo=UTC))
    )
    db.session.commit()
    return token


def _inactive_user_token(world: World) -> str:
    from example_app.models import Membership

    token = "inactive-" + world.a.token
    user = User(email="gone@example.com", name="Gone", is_active=False)
    user.tokens.append(ApiToken(token_hash=hash_token(token)))
    db.session.add(user)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, organization_id=int(world.a.org)))
    db.session.commit()
    return token


def test_tokens_and_organizations(app: Flask, world: World) -> None:
    """Another organization's ``o`` → 403; a revoked, deactivated, unknown or malformed token → 401.
    Nothing changes, whatever the route."""
    client = app.test_client()
    a, b = world.a, world.b
    revoked, inactive = _revoked_token(world), _inactive_user_token(world)
    counts, before_a = row_counts(), snapshot(bm.BroadcastCampaign, a.campaign)
    cases: list[tuple[str, dict[str, str], int]] = [
        (b.org, {}, 403),
        ("999999", {}, 403),
        (a.org, {"Authorization": f"Bearer {revoked}"}, 401),
        (a.org, {"Authorization": f"Bearer {inactive}"}, 401),
        (a.org, {"Authorization": "Bearer not-a-token"}, 401),
        (a.org, {"Authorization": f"Basic {a.token}"}, 401),
        (a.org, {"Authorization": "Bearer "}, 401),
        (a.org, {"Authorization": ""}, 401),
    ]
    for org, header, expected in cases:
        for method, path in _every_route(world):
            headers = {**a.headers, **header}
            if method == "POST" and path.endswith("/files"):
                headers.pop("Content-Type")
            response = client.open(
                f"/api{path}?o={org}",
                method=method,
                headers=headers,
                data="{}" if method in ("POST", "PATCH") else None,
            )
            leaked = response.status_code != expected or b"Acme" in response.data or b"hello" in response.data
            TALLY.probe(FAMILY, leaked=leaked, server_error=response.status_code >= 500)
            assert response.status_code == expected, (org, header, method, path, response.get_data(as_text=True))
    assert row_counts() == counts
    assert snapshot(bm.BroadcastCampaign, a.campaign) == before_a
