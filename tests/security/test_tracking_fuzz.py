"""The public tracking endpoints (open pixel, click redirect) under arbitrary input: a
Hypothesis test of their own (they are not in the OpenAPI document). No input answers a
5xx, none records anything but a genuine token's, and none redirects anywhere but to the
message's own link."""

from __future__ import annotations

import os
from urllib.parse import quote

import hypothesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import strategies as st

from example_app.extensions import db
from flask_broadcasts import models as bm
from flask_broadcasts.engine.tracking import CLICK, OPEN
from flask_broadcasts.signing import sign_stable
from tests.support.security import World

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
LINK = "https://example.com/offer"


def _recorded() -> tuple[int, int]:
    db.session.rollback()
    events = db.session.scalar(sa.select(sa.func.count()).select_from(bm.BroadcastTrackingEvent))
    counts = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(bm.BroadcastReportCount.count), 0)))
    return int(events or 0), int(counts or 0)


def _track(world: World) -> int:
    """Tenant a's message gets a link and its campaign tracking; the message's id."""
    message = db.session.get(bm.BroadcastMessage, int(world.a.message))
    assert message is not None
    message.body = f'<p>Hi <a href="{LINK}">offer</a></p>'
    campaign = db.session.get(bm.BroadcastCampaign, message.campaign_id)
    assert campaign is not None
    campaign.track_opens = campaign.track_clicks = True
    db.session.commit()
    return message.id


def test_no_input_answers_5xx_records_anything_or_redirects_elsewhere(app: Flask, world: World) -> None:
    message_id = _track(world)
    org = world.a.org
    genuine_click = sign_stable(CLICK, [org, message_id, 0])
    genuine_open = sign_stable(OPEN, [org, message_id])
    client = app.test_client()

    def near_misses(genuine: str) -> st.SearchStrategy[str]:
        return st.one_of(
            st.integers(0, len(genuine) - 1).flatmap(
                lambda i: st.characters(codec="ascii").map(lambda c: genuine[:i] + c + genuine[i + 1 :])
            ),
            st.integers(0, len(genuine) - 1).map(lambda i: genuine[:i]),
            st.text(max_size=5).map(lambda extra: genuine + extra),
        )

    @hypothesis.given(
        kind=st.sampled_from(["o", "c"]),
        token=st.one_of(
            st.text(max_size=200),
            near_misses(genuine_click),
            near_misses(genuine_open),
            # Well-signed payloads that are not of the kind: other shapes, negative or huge ids.
            st.lists(st.one_of(st.integers(), st.text(max_size=8), st.none()), max_size=4).map(
                lambda payload: sign_stable(CLICK, payload)
            ),
        ),
        method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE"]),
        query=st.sampled_from(["", "?url=https://evil.example", "?next=//evil.example&to=javascript:alert(1)"]),
    )
    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def probe(kind: str, token: str, method: str, query: str) -> None:
        if token in (genuine_click, genuine_open):
            return
        segment = quote(token, safe="").replace("%2F", "_") or "x"
        path = f"/api/broadcast-t/{kind}/{segment}" + (".gif" if kind == "o" else "") + query
        answer = client.open(path, method=method)
        assert answer.status_code < 500, (token, answer.status_code)
        assert answer.status_code in (400, 404, 405), (token, answer.status_code)
        assert "Location" not in answer.headers
        assert _recorded() == (0, 0)

    probe()

    # The genuine click, whatever the query says, goes to the message's own link only.
    answer = client.get(f"/api/broadcast-t/c/{genuine_click}?url=https://evil.example")
    assert (answer.status_code, answer.headers["Location"]) == (302, LINK)
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert _recorded()[0] == 1
