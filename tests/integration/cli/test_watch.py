"""``flask_broadcasts.cli.watch``: ``flask broadcasts campaigns watch ID``, a run's progress live.

What an operator relies on: the watcher shows each progress event of its campaign as it
is published (none of another campaign's), stops when the run is over, and its last line
always comes from the database; when no event comes (pub/sub keeps nothing through a
Redis hiccup) it reads the campaign again after ``refresh`` seconds instead of hanging.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import sqlalchemy as sa

from flask_broadcasts.cli.watch import PlainDisplay, watch_campaign
from flask_broadcasts.errors import NotFoundError
from flask_broadcasts.events import EVENT_UPDATED, channel_name
from flask_broadcasts.models import BroadcastCampaign
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG, make_campaign


def _set(db, campaign_id: int, **values) -> None:
    db.session.execute(sa.update(BroadcastCampaign).where(BroadcastCampaign.id == campaign_id).values(**values))
    db.session.commit()


def _event(campaign_id: int, status: str, sent: int, total: int = 5) -> str:
    attributes = {"status": status, "status_reason": None, "sent_count": sent, "failed_count": 0, "total_count": total}
    return json.dumps(
        {
            "event": EVENT_UPDATED,
            "data": {"type": "broadcast-campaigns", "id": str(campaign_id), "attributes": attributes},
        }
    )


def _meanwhile(app, shown: threading.Event, steps) -> threading.Thread:
    """Run ``steps(redis, channel)`` in another thread once the watcher has shown its first line
    (so it has subscribed and read the campaign: what follows is news to it)."""
    state = get_state(app)
    channel = channel_name(state.settings.event_channel_prefix, ORG)

    def run() -> None:
        with app.app_context():
            if shown.wait(5):
                steps(state.redis, channel)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _clock(seconds: float = 5.0):
    """``time.monotonic``, failing the test once ``seconds`` have passed (a watcher that never ends)."""
    deadline = time.monotonic() + seconds

    def clock() -> float:
        now = time.monotonic()
        assert now < deadline, "the watcher did not end"
        return now

    return clock


def _echo(printed: list[str], shown: threading.Event):
    def echo(line: str) -> None:
        printed.append(line)
        shown.set()

    return echo


def test_a_run_over_already_shows_its_figures_and_returns_at_once(app):
    from tests.support.hostapp import db

    campaign_id = make_campaign()
    _set(db, campaign_id, status="completed", sent_count=4, failed_count=1, total_count=5)
    printed: list[str] = []
    final = watch_campaign(campaign_id, PlainDisplay(campaign_id, echo=printed.append), refresh=30)
    assert (final.sent, final.failed, final.total, final.finished) == (4, 1, 5, True)
    assert printed[-1].startswith(f"campaign {campaign_id} completed: 4 sent, 1 failed, 5 total")
    assert len(printed) == 2  # one progress line, the final line


def test_its_own_progress_events_show_as_published_and_the_last_word_is_the_databases(app):
    from tests.support.hostapp import db

    campaign_id = make_campaign()
    other = make_campaign()
    _set(db, campaign_id, status="in-progress", total_count=5)

    def publish(redis, channel) -> None:
        redis.publish(channel, _event(other, "completed", 9, 9))  # another campaign's end: not ours
        redis.publish(channel, _event(campaign_id, "in-progress", 3))
        _set(db, campaign_id, status="completed", sent_count=5, total_count=5)
        redis.publish(channel, _event(campaign_id, "completed", 4))  # the database reconciles to 5

    printed: list[str] = []
    shown = threading.Event()
    thread = _meanwhile(app, shown, publish)
    display = PlainDisplay(campaign_id, interval=0, echo=_echo(printed, shown))
    final = watch_campaign(campaign_id, display, refresh=30, clock=_clock())
    thread.join(5)
    assert [line.split(" sent")[0] for line in printed[:-1]] == [
        f"campaign {campaign_id} in-progress 0/5",
        f"campaign {campaign_id} in-progress 3/5",
        f"campaign {campaign_id} completed 4/5",
    ]
    assert printed[-1].startswith(f"campaign {campaign_id} completed: 5 sent, 0 failed, 5 total")
    assert final.sent == 5


def test_without_events_the_campaign_is_read_again_after_refresh(app):
    from tests.support.hostapp import db

    campaign_id = make_campaign()
    _set(db, campaign_id, status="in-progress", total_count=5)
    printed: list[str] = []
    shown = threading.Event()
    thread = _meanwhile(app, shown, lambda redis, channel: _set(db, campaign_id, status="completed", sent_count=5))
    display = PlainDisplay(campaign_id, echo=_echo(printed, shown))
    final = watch_campaign(campaign_id, display, refresh=0.2, clock=_clock())  # fails if it waited for an event
    thread.join(5)
    assert final.finished and final.sent == 5
    assert printed[0].startswith(f"campaign {campaign_id} in-progress 0/5")  # what it read first
    assert printed[-1].startswith(f"campaign {campaign_id} completed: 5 sent")


def test_an_unknown_campaign_is_not_found(app):
    with pytest.raises(NotFoundError):
        watch_campaign(999_999, PlainDisplay(999_999, echo=lambda line: None))
