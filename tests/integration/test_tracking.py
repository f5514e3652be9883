"""flask_broadcasts.tracking: the open pixel and the click redirect of tracked e-mails.

A recipient's mail client relies on: the pixel being a 1x1 GIF that is never cached, the
click answering a ``302`` to the message's own link whatever the request adds; a host relies
on ``HEAD`` counting as machine activity, and on an oversized, forged or foreign token
answering 4xx with nothing recorded. The small host (tests/support/host.py) on the suite's
database; messages sent an hour ago, so the machine rule of the first seconds stays away.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from flask_broadcasts import get_state
from flask_broadcasts.engine.tracking import click_url, open_url
from flask_broadcasts.engine.unsubscribe import public_prefix
from flask_broadcasts.models import BroadcastTrackingEvent, utcnow
from flask_broadcasts.tracking import MAX_TOKEN, PIXEL
from tests.support import host_fixtures
from tests.support.host_fixtures import ORG_B, db, make_campaign, make_customer, make_message
from tests.support.unsubscribe import local_path

# The small host's app per test, without the JSON:API check of answers (these routes answer images).
app, database_uri = host_fixtures.app, host_fixtures.database_uri

LINK = "https://example.com/offer?id=1"


def _message():
    campaign = make_campaign(track_opens=True, track_clicks=True)
    body = f'<p>Hi <a href="{LINK}">the offer</a></p>'
    sent = {"status": "sent", "sent_at": utcnow() - timedelta(hours=1)}
    return make_message(campaign, make_customer(), body=body, **sent)


def _base(app) -> str:
    return public_prefix(get_state(app).settings)


def _events() -> list[tuple[str, int | None, bool]]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(
            BroadcastTrackingEvent.kind, BroadcastTrackingEvent.link_index, BroadcastTrackingEvent.machine
        ).order_by(BroadcastTrackingEvent.id)
    )
    return [tuple(row) for row in rows]


def test_the_pixel_is_an_uncached_gif_and_head_counts_as_a_machine(app):
    message = _message()
    path = local_path(open_url(message.organization_id, message.id, base=_base(app)))
    client = app.test_client()
    answer = client.get(path)
    assert (answer.status_code, answer.mimetype, answer.data) == (200, "image/gif", PIXEL)
    # A GIF whose logical screen is 1 x 1 (little-endian width and height after the signature).
    assert PIXEL[:6] == b"GIF89a" and PIXEL[6:10] == b"\x01\x00\x01\x00"
    assert answer.headers["Cache-Control"] == "no-store, private"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert client.head(path).status_code == 200
    assert _events() == [("open", None, False), ("open", None, True)]


def test_a_click_redirects_to_the_messages_own_link_whatever_the_request_adds(app):
    message = _message()
    path = local_path(click_url(message.organization_id, message.id, 0, base=_base(app)))
    answer = app.test_client().get(path + "?url=https://evil.example/&next=//evil.example")
    assert (answer.status_code, answer.headers["Location"]) == (302, LINK)
    assert answer.headers["Cache-Control"] == "no-store, private"
    assert _events() == [("click", 0, False)]


def test_oversized_forged_and_foreign_tokens_answer_4xx_and_record_nothing(app):
    message = _message()
    client = app.test_client()
    genuine = local_path(click_url(message.organization_id, message.id, 0, base=_base(app)))
    # The other organization's link to the same message id: as if the message did not exist.
    foreign = local_path(click_url(ORG_B, message.id, 0, base=_base(app)))
    no_such_link = local_path(click_url(message.organization_id, message.id, 5, base=_base(app)))
    answers = {
        "oversized click": client.get("/api/broadcast-t/c/" + "a.b" * MAX_TOKEN),
        "oversized pixel": client.get("/api/broadcast-t/o/" + "a.b" * MAX_TOKEN + ".gif"),
        "forged": client.get(genuine[:-3] + "xyz"),
        "foreign": client.get(foreign),
        "no such link": client.get(no_such_link),
    }
    assert {name: (a.status_code, a.data) for name, a in answers.items()} == {
        "oversized click": (400, b"invalid link"),
        "oversized pixel": (400, b"invalid link"),
        "forged": (400, b"invalid link"),
        "foreign": (404, b"not found"),
        "no such link": (400, b"invalid link"),
    }
    assert not any("Location" in a.headers for a in answers.values())
    assert _events() == []
