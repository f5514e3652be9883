"""The pacing attributes of a campaign over HTTP: ``expires_at``, ``send_window``, ``deliver_at_local``.

Stored as given (a window normalized), shown back, and each invalid value a 422 whose
pointer names the attribute — or the part of the window — at fault.
"""

from __future__ import annotations

import pytest

from tests.support.host_fixtures import make_audience, make_template


def document(**attributes):
    template, audience = make_template(), make_audience()
    return {
        "data": {
            "type": "broadcast-campaigns",
            "attributes": {"name": "Flash sale", **attributes},
            "relationships": {
                "template": {"data": {"type": "broadcast-templates", "id": str(template.id)}},
                "audience": {"data": {"type": "broadcast-audiences", "id": str(audience.id)}},
            },
        }
    }


def pointers(response):
    return {e["source"]["pointer"] for e in response.get_json()["errors"] if "pointer" in e.get("source", {})}


def test_pacing_attributes_are_stored_and_shown(api):
    response = api.post(
        "/broadcast-campaigns",
        document(
            expires_at="2026-04-01T18:00:00Z",
            send_window={"start": "22:00", "end": "06:00", "days": ["SAT", "fri"]},
            deliver_at_local="09:00",
        ),
    )
    assert response.status_code == 201, response.get_json()
    attributes = response.get_json()["data"]["attributes"]
    assert attributes["expires_at"].startswith("2026-04-01T18:00:00")
    # Days in the week's order, lower case: the window as the engine reads it.
    assert attributes["send_window"] == {"start": "22:00", "end": "06:00", "days": ["fri", "sat"]}
    assert attributes["deliver_at_local"] == "09:00"
    campaign_id = response.get_json()["data"]["id"]
    cleared = api.patch(
        f"/broadcast-campaigns/{campaign_id}",
        {"data": {"type": "broadcast-campaigns", "id": campaign_id, "attributes": {"send_window": None}}},
    )
    assert cleared.status_code == 200, cleared.get_json()
    assert cleared.get_json()["data"]["attributes"]["send_window"] is None


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"expires_at": "2026-04-01T18:00:00"}, "/data/attributes/expires_at"),
        ({"expires_at": "soon"}, "/data/attributes/expires_at"),
        (
            {"scheduled_at": "2026-04-01T09:00:00Z", "expires_at": "2026-04-01T08:00:00Z"},
            "/data/attributes/expires_at",
        ),
        ({"send_window": "08:00-21:00"}, "/data/attributes/send_window"),
        ({"send_window": {"start": "8:00", "end": "21:00"}}, "/data/attributes/send_window/start"),
        ({"send_window": {"start": "08:00"}}, "/data/attributes/send_window/end"),
        ({"send_window": {"start": "08:00", "end": "24:00"}}, "/data/attributes/send_window/end"),
        ({"send_window": {"start": "08:00", "end": "08:00"}}, "/data/attributes/send_window/end"),
        ({"send_window": {"start": "08:00", "end": "21:00", "days": []}}, "/data/attributes/send_window/days"),
        ({"send_window": {"start": "08:00", "end": "21:00", "days": ["mo"]}}, "/data/attributes/send_window/days"),
        ({"send_window": {"start": "08:00", "end": "21:00", "tz": "UTC"}}, "/data/attributes/send_window/tz"),
        ({"deliver_at_local": "9am"}, "/data/attributes/deliver_at_local"),
    ],
)
def test_invalid_pacing_attributes_are_422_with_a_pointer(api, attributes, pointer):
    response = api.post("/broadcast-campaigns", document(**attributes))
    assert response.status_code == 422, response.get_json()
    assert pointer in pointers(response)
