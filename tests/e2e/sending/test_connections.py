"""Many connections per send job, through a real worker process and a real SMTP server.

``BROADCASTS_MAIL_CONNECTIONS`` connections are busy at once (one on SQLite, whatever the
setting), each reused from batch to batch of the run — ``MAIL_MAX_EMAILS`` still ends
one — and each closed when the run is done or stopped. Their progress events leave the
worker in commit order: the last one a client hears is the completion.
"""

from __future__ import annotations

import time
from collections import Counter

from flask_broadcasts.engine.lifecycle import start_campaign, stop_campaign
from tests.support.fixtures import ORG, campaign_row, event_channel, make_campaign, seed_customers, set_config
from tests.support.processes import events_heard, run_workers, start_subscriber, start_worker


def _run(app, env, smtp, n: int, **config) -> int:
    set_config(env, app, **config)
    seed_customers(n)
    campaign_id = make_campaign()
    subscriber = start_subscriber(env["REDIS_URL"], event_channel(env), until_completed=False)
    start_campaign(ORG, campaign_id)
    outputs = run_workers(env, count=1)
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count) == ("completed", n, n), outputs
    events = [event["data"]["attributes"] for event in events_heard(subscriber)]
    # Lanes publish concurrently: an older "in-progress" after the completion would leave a
    # dashboard showing a finished campaign as running.
    assert (events[-1]["status"], events[-1]["sent_count"]) == ("completed", n), events[-3:]
    received = Counter(smtp.recipients())
    assert set(received) == {f"c{i}@example.test" for i in range(1, n + 1)}
    assert max(received.values()) == 1
    return campaign_id


def test_connections_are_busy_at_once_and_reused_across_batches_up_to_mail_max_emails(app, env, smtp, is_postgres):
    smtp.delay = 0.02  # a relay that takes 20 ms a message: waiting, not CPU, is the cost
    n = 80
    _run(app, env, smtp, n, BROADCASTS_MAIL_CONNECTIONS=4, BROADCASTS_BATCH_SIZE=10, MAIL_MAX_EMAILS=15)
    # A connection carried 15 messages: more than one batch of 10 (reused from one claim to
    # the next), never more than MAIL_MAX_EMAILS.
    assert smtp.most_per_connection == 15
    if is_postgres:
        assert smtp.peak_in_flight == 4  # 4 messages waited for their answer at once
        assert -(-n // 15) <= smtp.connections <= 4 + n // 15
    else:
        # SQLite has one writer: one connection at a time, renewed every 15 messages.
        assert (smtp.peak_in_flight, smtp.connections) == (1, -(-n // 15))
    assert smtp.quits == smtp.connections  # each ended with a QUIT
    assert smtp.open_connections == 0


def test_left_unset_a_send_job_starts_with_one_lane_and_every_message_goes_once_as_lanes_come_and_go(
    app, env, smtp, is_postgres
):
    # A server on loopback: the send job starts with one lane and gauges it (module
    # lane_scaling) before any other starts. How many it then runs depends on how long the
    # server, in this test's busy process, makes the lane wait: the benchmark, against
    # smtp-sink, shows one lane staying alone; the unit tests pin the rule.
    n = 400
    _run(app, env, smtp, n, BROADCASTS_BATCH_SIZE=100)
    opened = smtp.open_at_arrival
    assert opened[:5] == [1] * 5, opened[:20]  # the first lane alone, gauged
    # Lanes added or retired on the way: still every message once (checked by _run), and
    # each connection closed (by QUIT, or dropped before the final "." of an envelope sent ahead).
    assert smtp.open_connections == 0


def test_left_unset_lanes_waiting_for_a_relay_grow_to_the_most_at_once(app, env, smtp, is_postgres):
    # A relay that takes 20 ms a message: the first lane waits nearly all its time, so the
    # send job starts the most lanes (7 in the pool of Flask-SQLAlchemy's defaults) after its
    # first tenth of a second, and keeps them.
    smtp.delay = 0.02
    n = 160
    _run(app, env, smtp, n, BROADCASTS_BATCH_SIZE=100)
    if is_postgres:
        assert smtp.peak_in_flight == 7
        # The first lane alone sent only its gauge's few messages before the others came.
        assert smtp.open_at_arrival.index(7) < 40, smtp.open_at_arrival[:60]
    else:
        assert smtp.peak_in_flight == 1  # SQLite: one lane, never scaled
    # Every connection was closed: none left open.
    assert smtp.open_connections == 0


def test_stop_closes_every_connection(app, env, smtp, is_postgres):
    smtp.delay = 0.02
    set_config(env, app, BROADCASTS_MAIL_CONNECTIONS=4, BROADCASTS_BATCH_SIZE=20)
    seed_customers(400)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    worker = start_worker(env)
    try:
        deadline = time.monotonic() + 60
        while smtp.count() < 40:
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.05)
        stop_campaign(ORG, campaign_id)
        stopped_at = time.monotonic()
        out, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    # At most one message per connection after the stop answered, then nothing.
    assert smtp.count_since(stopped_at) <= (4 if is_postgres else 1), out
    row = campaign_row(campaign_id)
    assert row.status == "draft"
    assert row.sent_count == smtp.count()
    # Every connection was closed (by QUIT, or dropped before a message's final "."): none left open.
    assert smtp.open_connections == 0
    assert smtp.connections <= (4 if is_postgres else 1)
