"""Tests of flask_broadcasts.engine.windows.

Quiet hours (``send_window``) and local delivery time (``deliver_at_local``) in each recipient's zone.

In process, on the suite's database and a real SMTP server, with a recording dispatcher in
place of RQ. The zone of a message is the recipient's ``broadcast_timezone``, else (SMS) its
number's region when it has one zone, else the campaign's ``timezone``. time-machine moves
the engine's clock across the US spring-forward of 2026-03-08; the database's clock stays
today's, so there every stored ``not_before`` of March is already past and the claim takes
those messages: what keeps them back then is the engine's own check of each claimed message
against its window (a message claimed after its window closed waits again, without a try).
The claim's own filter, the wake-up and ``waiting_for_window`` run on the real clock
(``test_a_window_opening_in_a_few_seconds_*``), as does the real-process test in tests/e2e/pacing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from flask_broadcasts.config import Settings, apply_defaults
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.models import BroadcastCampaign, BroadcastMessage
from flask_broadcasts.state import get_state
from tests.support.dispatch import RecordingDispatcher
from tests.support.fixtures import ORG, campaign_row, make_campaign, set_config

TOKEN = {"Authorization": "Bearer token-org-1"}

#: Who gets which zone. Sunday 2026-03-08 06:30Z: 01:30 EST in New York (02:00 jumps to 03:00
#: EDT half an hour later), 07:30 CET in Paris, 15:30 JST in Tokyo, Saturday 22:30 PST in Los
#: Angeles (the campaign's zone; it springs forward the same night).
PEOPLE = {
    # the mixin's zone wins over the number's
    "ny": {"timezone": "America/New_York", "mobile": "+33612345678"},
    "paris": {"mobile": "+33612345679"},  # no zone of its own: its number's (+33, one zone)
    "tokyo": {"timezone": "Asia/Tokyo"},
    "nowhere": {"mobile": "+18005550100"},  # toll-free +1: many zones, so the campaign's
    "bad_zone": {"timezone": "Mars/Olympus"},  # not a zone: the campaign's
}
SUNDAY = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def dispatcher(app) -> RecordingDispatcher:
    recording = RecordingDispatcher()
    get_state(app).dispatcher = recording
    return recording


def _seed(people: dict[str, dict]) -> None:
    from tests.support.hostapp import Customer, db

    db.session.execute(
        sa.insert(Customer),
        [
            {
                "organization_id": ORG,
                "first_name": name,
                "last_name": "Lee",
                "email": f"{name}@example.test",
                "locale": "en",
                "status": "active",
                "timezone": None,
                "mobile": None,
                **values,
            }
            for name, values in people.items()
        ],
    )
    db.session.commit()


def _campaign(channels=("mail", "sms"), **values) -> int:
    from tests.support.hostapp import db

    campaign_id = make_campaign(channels=channels)
    db.session.execute(sa.update(BroadcastCampaign).where(BroadcastCampaign.id == campaign_id).values(**values))
    db.session.commit()
    return campaign_id


def _start(campaign_id: int) -> None:
    start_campaign(ORG, campaign_id)
    assert materialize_run(campaign_id, "once", "worker-a") > 0


def _messages(campaign_id: int) -> dict[str, BroadcastMessage]:
    from tests.support.hostapp import db

    db.session.rollback()
    rows = db.session.execute(sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id))
    return {m.email.split("@")[0]: m for m in rows.scalars()}


def _not_before(message: BroadcastMessage) -> datetime | None:
    at = message.retry_at
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _api_meta(app, campaign_id: int) -> dict[str, dict]:
    response = app.test_client().get(f"/api/broadcast-campaigns/{campaign_id}/messages?o={ORG}", headers=TOKEN)
    assert response.status_code == 200, response.get_json()
    return {m["attributes"]["email"].split("@")[0]: m["meta"] for m in response.get_json()["data"]}


def test_each_recipient_waits_for_the_window_in_their_own_zone_across_a_dst_change(app, dispatcher, smtp):
    _seed(PEOPLE)
    campaign_id = _campaign(send_window={"start": "09:00", "end": "17:00"}, timezone="America/Los_Angeles")
    with time_machine.travel(SUNDAY, tick=False):
        _start(campaign_id)
    stored = _messages(campaign_id)
    assert {name: (m.time_zone, _not_before(m)) for name, m in stored.items()} == {
        "ny": ("America/New_York", utc(2026, 3, 8, 13)),  # 09:00 EDT: after the jump, not 14:00Z
        "paris": ("Europe/Paris", utc(2026, 3, 8, 8)),  # 09:00 CET
        "tokyo": ("Asia/Tokyo", None),  # 15:30 JST: open, goes now
        "nowhere": ("America/Los_Angeles", utc(2026, 3, 8, 16)),  # 09:00 PDT
        "bad_zone": ("America/Los_Angeles", utc(2026, 3, 8, 16)),
    }
    assert {m.status for m in stored.values()} == {"pending"}
    # The API shows when each waiting message may go, and the zone it was read in.
    meta = _api_meta(app, campaign_id)
    assert meta["ny"]["not_before"] == "2026-03-08T13:00:00+00:00"
    assert meta["ny"]["time_zone"] == "America/New_York"
    assert meta["paris"]["not_before"] == "2026-03-08T08:00:00+00:00"
    assert "not_before" not in meta["tokyo"]

    # The day goes by: each goes out when its own window opens, once, without a try charged.
    timeline = [
        (SUNDAY + timedelta(minutes=1), {"tokyo"}),
        (utc(2026, 3, 8, 7, 59), set()),
        (utc(2026, 3, 8, 8, 0, 5), {"paris"}),
        (utc(2026, 3, 8, 12, 59), set()),  # 08:59 EDT (13:59 had it been EST)
        (utc(2026, 3, 8, 13, 0, 5), {"ny"}),
        (utc(2026, 3, 8, 16, 0, 5), {"nowhere", "bad_zone"}),
    ]
    for at, expected in timeline:
        before = set(smtp.recipients())
        with time_machine.travel(at, tick=False):
            send_batch(campaign_id, "once", "worker-a")
        assert {r.split("@")[0] for r in set(smtp.recipients()) - before} == expected, at
    stored = _messages(campaign_id)
    assert {m.status for m in stored.values()} == {"completed"}
    assert {m.tries for m in stored.values()} == {1}
    assert sorted(smtp.recipients()) == sorted(f"{name}@example.test" for name in PEOPLE)
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count, row.status_reason) == ("completed", 5, 5, None)


def test_a_message_claimed_after_its_window_closed_waits_for_the_next_opening(app, dispatcher, smtp):
    _seed({"paris": {"timezone": "Europe/Paris"}})
    campaign_id = _campaign(channels=("mail",), send_window={"start": "22:00", "end": "06:00", "days": ["sat"]})
    with time_machine.travel(utc(2026, 3, 7, 22, 30), tick=False):  # Saturday 23:30 in Paris: open
        _start(campaign_id)
    assert _not_before(_messages(campaign_id)["paris"]) is None
    # Claimed only on Sunday 06:10 (a long throttle): Saturday's night is over, Sunday's is not listed.
    with time_machine.travel(utc(2026, 3, 8, 5, 10), tick=False):
        send_batch(campaign_id, "once", "worker-a")
    message = _messages(campaign_id)["paris"]
    assert (message.status, message.tries, message.claimed_by) == ("pending", 0, None)
    assert smtp.count() == 0
    assert _not_before(message) == utc(2026, 3, 14, 21)  # next Saturday 22:00 CET


def test_deliver_at_local_sends_at_nine_in_each_zone_dst_safe(app, dispatcher, smtp):
    _seed(
        {
            "ny": {"timezone": "America/New_York"},
            "paris": {"timezone": "Europe/Paris"},
            "tokyo": {"timezone": "Asia/Tokyo"},
        }
    )
    campaign_id = _campaign(channels=("mail",), deliver_at_local="09:00")
    # Saturday 15:00 EST, 21:00 CET, Sunday 05:00 JST.
    with time_machine.travel(utc(2026, 3, 7, 20), tick=False):
        _start(campaign_id)
    assert {name: _not_before(m) for name, m in _messages(campaign_id).items()} == {
        "ny": utc(2026, 3, 8, 13),  # Sunday 09:00 EDT
        "paris": utc(2026, 3, 8, 8),
        "tokyo": utc(2026, 3, 8, 0),
    }


def test_deliver_at_local_inside_the_spring_forward_gap_is_the_end_of_the_gap(app, dispatcher, smtp):
    _seed({"ny": {"timezone": "America/New_York"}})
    campaign_id = _campaign(channels=("mail",), deliver_at_local="02:30")
    with time_machine.travel(utc(2026, 3, 8, 5), tick=False):  # 00:00 EST
        _start(campaign_id)
    assert _not_before(_messages(campaign_id)["ny"]) == utc(2026, 3, 8, 7)  # 03:00 EDT


def _default_window_app(app) -> None:
    """The test hosts turn the SMS default window off; here it is the shipped default."""
    del app.config["BROADCASTS_SMS_DEFAULT_WINDOW"]
    apply_defaults(app.config)
    get_state(app).settings = Settings.from_config(app.config)


def test_sms_wait_for_08_to_21_in_the_recipients_zone_by_default(app, dispatcher, smtp):
    _default_window_app(app)
    _seed(
        {
            "sf": {"mobile": "+14155552671"},  # Los Angeles by its number
            "paris": {"mobile": "+33612345678"},
            "mail_only": {},  # e-mail has no default window
        }
    )
    campaign_id = _campaign()
    # Monday 2026-06-01 04:30Z: 21:30 PDT on Sunday (closed), 06:30 CEST (closed).
    with time_machine.travel(utc(2026, 6, 1, 4, 30), tick=False):
        _start(campaign_id)
    stored = _messages(campaign_id)
    assert {name: _not_before(m) for name, m in stored.items()} == {
        "sf": utc(2026, 6, 1, 15),  # 08:00 PDT
        "paris": utc(2026, 6, 1, 6),  # 08:00 CEST
        "mail_only": None,
    }
    # At 20:59 in Paris an SMS goes at once; at 21:00 it waits for the next morning.
    for at, waits_until in ((utc(2026, 6, 1, 18, 59), None), (utc(2026, 6, 1, 19), utc(2026, 6, 2, 6))):
        campaign = _campaign()
        with time_machine.travel(at, tick=False):
            _start(campaign)
        assert _not_before(_messages(campaign)["paris"]) == waits_until


def test_a_campaigns_send_window_replaces_the_sms_default(app, dispatcher, smtp):
    _default_window_app(app)
    _seed({"paris": {"mobile": "+33612345678"}})
    campaign_id = _campaign(send_window={"start": "05:00", "end": "23:00"})
    with time_machine.travel(utc(2026, 6, 1, 4, 30), tick=False):  # 06:30 CEST
        _start(campaign_id)
    assert _not_before(_messages(campaign_id)["paris"]) is None


def test_without_the_sms_default_window_sms_go_at_any_hour(app, env, dispatcher, smtp):
    set_config(env, app, BROADCASTS_SMS_DEFAULT_WINDOW=None)
    _seed({"paris": {"mobile": "+33612345678"}})
    campaign_id = _campaign()
    with time_machine.travel(utc(2026, 6, 1, 1), tick=False):  # 03:00 CEST
        _start(campaign_id)
    message = _messages(campaign_id)["paris"]
    assert (_not_before(message), message.time_zone) == (None, None)


def test_a_window_opening_in_a_few_seconds_waits_then_sends_everything_once(app, dispatcher, smtp):
    """On the real clock: the claim passes the waiting messages over, one wake-up is queued for
    the window's opening, the campaign says ``waiting_for_window``, and then all go."""
    _seed({f"p{i}": {} for i in range(6)})
    opens = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    window = {"start": opens.strftime("%H:%M:%S"), "end": (opens + timedelta(hours=1)).strftime("%H:%M:%S")}
    campaign_id = _campaign(channels=("mail",), send_window=window, timezone="UTC")
    _start(campaign_id)
    assert {_not_before(m) for m in _messages(campaign_id).values()} == {opens}

    result = send_batch(campaign_id, "once", "worker-a")
    assert (result.claimed, smtp.count()) == (0, 0)
    assert dispatcher.send_at == [opens]  # the wake-up, at the earliest not_before
    row = campaign_row(campaign_id)
    assert (row.status, row.status_reason) == ("in-progress", "waiting_for_window")

    time.sleep(max(0.0, (opens - datetime.now(UTC)).total_seconds()) + 1.1)  # SQLite's clock: whole seconds
    send_batch(campaign_id, "once", "worker-a")
    assert sorted(smtp.recipients()) == sorted(f"p{i}@example.test" for i in range(6))
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count, row.status_reason) == ("completed", 6, 6, None)
