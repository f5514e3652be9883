"""Tests of flask_broadcasts.api.consent_events.

Provable consent: every way an address leaves (or rejoins) the list appends a record that
``/broadcast-consent-events`` shows, read-only and per organization; a re-subscribe never
erases the unsubscribe before it."""

from __future__ import annotations

from types import SimpleNamespace

from flask_broadcasts import get_state
from flask_broadcasts.services import consent
from flask_broadcasts.services.suppressions import suppress
from tests.support.host_fixtures import ORG_A, ORG_B


def _records(api, **filters):
    params = {f"filter[{name}]": value for name, value in filters.items()}
    answer = api.get("/broadcast-consent-events", **params)
    assert answer.status_code == 200, answer.get_json()
    return [d["attributes"] for d in answer.get_json()["data"]]


def _as_user(app, user_id: str) -> None:
    """The host's principals carry an ``id`` (who acted, in the records)."""
    users = {"token-a": SimpleNamespace(id=user_id, org=ORG_A), "token-b": SimpleNamespace(id="other", org=ORG_B)}
    extension = get_state(app).extension
    extension.token_loader(users.get)
    extension.organization_access(lambda principal, org: org == principal.org)


def test_api_provider_and_resubscribe_each_append_and_nothing_is_erased(app, api, api_b):
    _as_user(app, "user-7")
    created = api.post(
        "/broadcast-suppressions",
        {"data": {"type": "broadcast-suppressions", "attributes": {"channel": "mail", "address": "Ann@Example.com"}}},
    )
    assert created.status_code == 201, created.get_json()
    # A provider's report (what a bounce or complaint handler calls): method provider, its reference.
    assert suppress(ORG_A, "sms", "+33 6 12 34 56 78", "sms_stop", {"kind": "provider", "id": "SM123"})
    # Re-subscribe (delete the suppression), then unsubscribe again by hand.
    assert api.delete(f"/broadcast-suppressions/{created.get_json()['data']['id']}").status_code == 204
    assert (
        api.post(
            "/broadcast-suppressions",
            {
                "data": {
                    "type": "broadcast-suppressions",
                    "attributes": {"channel": "mail", "address": "ann@example.com"},
                }
            },
        ).status_code
        == 201
    )

    history = _records(api, address="ANN@example.com")
    assert [(r["action"], r["method"], r["reason"], r["user_id"]) for r in history] == [
        ("withdrawn", "api", "manual", "user-7"),
        ("given", "api", None, "user-7"),
        ("withdrawn", "api", "manual", "user-7"),
    ]
    (stop,) = _records(api, channel="sms")
    assert (stop["address"], stop["method"], stop["reason"], stop["reference"]) == (
        "+33612345678",
        "provider",
        "sms_stop",
        "SM123",
    )
    assert _records(api, method="provider") == [stop]
    assert len(_records(api, action="given")) == 1
    # Another organization sees nothing, and gets a 404 for each record.
    assert api_b.get("/broadcast-consent-events").get_json()["data"] == []
    for record_id in (d["id"] for d in api.get("/broadcast-consent-events").get_json()["data"]):
        assert api_b.get(f"/broadcast-consent-events/{record_id}").status_code == 404
        assert api.get(f"/broadcast-consent-events/{record_id}").status_code == 200


def test_the_resource_is_read_only_and_pages_by_keyset(app, api):
    for n in range(5):
        consent.record(ORG_A, "mail", f"p{n}@example.com", "withdrawn", "import", reason="manual", reference="old.csv")
    consent.record(ORG_B, "mail", "b@example.com", "withdrawn", "provider", reason="bounced")
    first = api.get("/broadcast-consent-events", **{"page[size]": 2}).get_json()
    seen = [d["attributes"]["address"] for d in first["data"]]
    following = first["links"]["next"]
    while following:
        page = api.get_url(following).get_json()
        seen += [d["attributes"]["address"] for d in page["data"]]
        following = page["links"].get("next")
    assert seen == [f"p{n}@example.com" for n in reversed(range(5))]
    assert "page[after]" in first["links"]["next"].replace("%5B", "[").replace("%5D", "]")
    record_id = first["data"][0]["id"]
    document = {"data": {"type": "broadcast-consent-events", "attributes": {"channel": "mail", "address": "x@y.z"}}}
    assert api.post("/broadcast-consent-events", document).status_code == 405
    assert (
        api.patch(f"/broadcast-consent-events/{record_id}", {"data": {**document["data"], "id": record_id}}).status_code
        == 405
    )
    assert api.delete(f"/broadcast-consent-events/{record_id}").status_code == 405
    assert api.get("/broadcast-consent-events", **{"filter[method]": "fax"}).status_code == 400
    assert len(_records(api)) == 5
