"""Many deliveries in flight per send job: one *lane* per connection, each with a claim of its own.

A relay across a network answers each message in 10–100 ms and an SMS gateway each
request in 100–300 ms: one message in flight at a time caps a worker at 1 / latency.
So a send job runs ``BROADCASTS_MAIL_CONNECTIONS`` lanes (``BROADCASTS_SMS_CONCURRENCY``
for a campaign without e-mail). A lane is a thread with its own app context (so its
own database session), its own channels and, batch after batch, its own claim and
:class:`~.outcomes.OutcomeRecorder`: it does exactly what one worker did before,
:func:`~.sending.send_batch` with the record of each message before its next one.

* **Claims.** A lane's first claim is its share of ``BROADCASTS_BATCH_SIZE``, so the
  messages of a run spread over every connection of every worker. Each next claim holds
  about :data:`CLAIM_SECONDS` of the lane's own pace, between that share and the whole
  batch size, and never more than a ``1 / (TAIL_SPREAD x lanes)`` part of what the run
  has left (:func:`next_claim_size`): claims of 63 (500 over 8 lanes) made a send job
  spend a fifth of its CPU, and of PostgreSQL's, claiming and completing batches on a
  fast server, while a run's last messages must still spread over every lane, or one
  lane sends them alone while the others idle. The counters are
  updated as often as with one connection (each lane waits ``lanes`` times
  ``BROADCASTS_PROGRESS_INTERVAL`` between its updates): each update is a synchronous commit on the campaign's row, which 16 lanes
  flushing at one connection's pace would queue on.
* **Exactly once, bounded.** Each lane has one claim and at most one message in flight,
  recorded before its next one; a killed worker therefore leaves at most one message
  in doubt per lane, which :func:`~.claims.expire_claims` finds per claim as before.
* **Connections** live as long as their lane: reused from one batch of the run to the
  next (``MAIL_MAX_EMAILS`` still ends one and the next message opens a fresh one),
  closed (QUIT) when the lane ends — the run done, stopped or paused, the job's budget
  spent, a warm stop, or another lane's failure.
* **Pause and stop** reach every lane through its own records (each record answers
  whether the campaign still runs), so each connection hands over at most the one
  message whose record was already on its way.
* **Failures.** A provider's refusal (a relay down, 421, a gateway's 429) pauses its
  channel for every worker (:mod:`.pacing`): each lane gives its claim back as it meets
  the pause, and the job queues the run's next send job for the pause's end. A lane that
  raises anything else (a lost answer) makes the others end after the batch in hand; the
  job then raises the first error, as one lane did, and is retried.

* **How many.** ``BROADCASTS_MAIL_CONNECTIONS`` (``BROADCASTS_SMS_CONCURRENCY``) set: that
  many lanes from the start. Unset: up to :data:`DEFAULT_CONNECTIONS`, as many as pay — the
  job starts with one, measures which share of its time it waits for its provider, and
  starts as many more as that wait leaves room for (:mod:`.lane_scaling`, applied by
  :func:`.lane_crew.supervise`). A relay across a network gets eight within a tenth of a
  second; a server on the next rack keeps one or two, which send faster there than eight
  taking turns under the GIL and at the database. A retired lane stops before its
  next message and gives its claim back.

Threads, not asyncio: every part of a send blocks and releases the GIL while it waits
(``smtplib`` with our own pipelining, psycopg's recording, the Twilio client over
``requests``), and the CPU a message costs (MIME, the record) is the same either way —
measured in :doc:`/performance`. SQLite has one writer: one lane there, whatever the
settings say.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.pool import Pool, QueuePool

from ..models import BroadcastTemplate
from ..state import BroadcastsState, get_state
from .lane_crew import Crew, Lane, RunOutcome, supervise
from .pacing import MAX_AHEAD, Throttled
from .run_channels import RunChannels
from .sending import send_batch
from .tables import campaigns
from .throttling import mark_throttled, send_when_unthrottled

__all__ = [
    "CLAIM_SECONDS",
    "DEFAULT_CONNECTIONS",
    "LanePlan",
    "TAIL_SPREAD",
    "RunOutcome",
    "connections_for",
    "next_claim_size",
    "send_run",
]

log = logging.getLogger(__name__)

#: How long, at its own pace, a lane's claim after its first lasts (:func:`next_claim_size`).
CLAIM_SECONDS = 2.0

#: A claim holds at most ``1 / (TAIL_SPREAD x lanes)`` of what the run has left: its last
#: messages spread over the lanes of up to this many send jobs.
TAIL_SPREAD = 4

#: ``BROADCASTS_MAIL_CONNECTIONS`` / ``BROADCASTS_SMS_CONCURRENCY`` when unset, on a database
#: with concurrent writers (measured in docs/performance.rst: 8 lanes reach about 0.8 of a
#: 16-connection sender at 10 ms a reply on two cores; more add database connections, not speed).
DEFAULT_CONNECTIONS = 8


@dataclass(frozen=True)
class LanePlan:
    """How a campaign's send job spreads over connections."""

    #: The most lanes it may run (connections in flight).
    lanes: int
    #: SMS requests in flight among them.
    sms_slots: int
    #: The operator left the number unset: the job starts with ``lanes`` and keeps as many
    #: as pay (:mod:`.lane_scaling`); else it runs ``lanes`` throughout.
    scaled: bool = False


def connections_for(state: BroadcastsState, campaign_id: int) -> LanePlan:
    """The lanes of a campaign's send job: connections in flight, SMS requests among them."""
    settings = state.settings
    mail = settings.mail_connections or DEFAULT_CONNECTIONS
    sms = settings.sms_concurrency or DEFAULT_CONNECTIONS
    if state.session.get_bind().dialect.name == "sqlite":
        if (settings.mail_connections or 1) > 1 or (settings.sms_concurrency or 1) > 1:
            log.warning("SQLite has one writer: sending over one connection (BROADCASTS_MAIL_CONNECTIONS ignored)")
        return LanePlan(1, 1)
    channels = state.session.execute(
        select(BroadcastTemplate.channels)
        .join(campaigns, campaigns.c.template_id == BroadcastTemplate.id)
        .where(campaigns.c.id == campaign_id)
    ).scalar()
    state.session.commit()
    by_mail = "mail" in (channels or ["mail"])
    lanes = max(1, mail if by_mail else sms)
    fitting = lanes_the_pool_holds(state.session.get_bind().engine.pool)
    configured = settings.mail_connections if by_mail else settings.sms_concurrency
    if fitting is not None and lanes > fitting and configured:
        log.warning(
            "the database pool holds connections for %d lanes, not %d: sending over %d (raise pool_size "
            "or max_overflow in SQLALCHEMY_ENGINE_OPTIONS to 2 x lanes + 1)",
            fitting,
            lanes,
            fitting,
        )
    if fitting is not None:
        lanes = min(lanes, fitting)  # the default (8) fits the pool silently
    return LanePlan(lanes, max(1, min(sms, lanes)), scaled=not configured and lanes > 1)


def next_claim_size(batch_size: int, lanes: int, settled: int, seconds: float, remaining: int | None) -> int:
    """The size of a lane's next claim after it settled ``settled`` messages in ``seconds``,
    the run having ``remaining`` left (``None``: not known).

    About :data:`CLAIM_SECONDS` of that pace and at most a ``1 / (TAIL_SPREAD x lanes)``
    part of ``remaining``; never below the lane's share of ``batch_size`` nor above it.
    """
    share = -(-batch_size // lanes)
    if settled <= 0 or seconds <= 0 or remaining is None:
        return share
    paced = int(settled / seconds * CLAIM_SECONDS)
    return max(share, min(batch_size, paced, remaining // (TAIL_SPREAD * lanes)))


def lanes_the_pool_holds(pool: Pool) -> int | None:
    """How many lanes a send job can run without waiting for ``pool`` (``None``: no bound).

    A lane may hold two connections at once — its session's and, on PostgreSQL, the one it
    records on — and the job's own thread one more. Past that, lanes wait for the pool,
    and a lane holding the event-order lock while it waits (module ``event_order``) stalls
    every lane until the pool's timeout: Flask-SQLAlchemy's default pool (5 + 10 overflow)
    with the default 8 lanes did, for 30 s, and failed the send job.
    """
    if not isinstance(pool, QueuePool):
        return None
    overflow = getattr(pool, "_max_overflow", 0)
    if overflow < 0:  # unbounded overflow
        return None
    return max(1, (pool.size() + overflow - 1) // 2)


def send_run(campaign_id: int, run_key: str, worker_id: str, *, go_on: Callable[[], bool]) -> RunOutcome:
    """Send the run over its lanes until it is done, halted, or ``go_on()`` says to hand over.

    ``go_on`` is asked after each batch (the job's budget, a warm stop of the worker).

    :raises OutcomeUnknown: the first error of a lane, once every lane ended.
    """
    state = get_state()
    plan = connections_for(state, campaign_id)
    outcome = RunOutcome()
    slots = threading.BoundedSemaphore(plan.sms_slots) if plan.sms_slots < plan.lanes else None
    if plan.lanes == 1:  # in this thread, with this context's session: as before lanes existed
        _lane(state, campaign_id, run_key, worker_id, go_on, outcome, slots, Crew(1, 1), Lane())
    else:
        # Left to the job, the lanes start with one, gauged (module lane_scaling).
        crew = Crew(plan.lanes, 1 if plan.scaled else plan.lanes, campaign_id)
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def start_lane() -> None:
            lane = Lane()
            lane.thread = threading.Thread(
                target=_lane_in_context,
                args=(app, campaign_id, run_key, worker_id, go_on, outcome, slots, crew, lane),
                name=f"broadcasts-lane-{len(crew.lanes) + 1}",
                daemon=True,
            )
            crew.lanes.append(lane)
            lane.thread.start()

        for _ in range(crew.size):
            start_lane()
        if plan.scaled:
            supervise(crew, outcome, start_lane)
        for lane in crew.lanes:
            assert lane.thread is not None
            lane.thread.join()
    if outcome.throttled_until is not None:
        # The lanes gave their claims back; the run goes on when the provider's pause ends.
        send_when_unthrottled(state, campaign_id, run_key, outcome.throttled_until)
    if outcome.error is not None:
        raise outcome.error
    return outcome


def _lane_in_context(
    app: Flask,
    campaign_id: int,
    run_key: str,
    worker_id: str,
    go_on: Callable[[], bool],
    outcome: RunOutcome,
    slots: threading.BoundedSemaphore | None,
    crew: Crew,
    lane: Lane,
) -> None:
    # An app context of its own: Flask-SQLAlchemy scopes db.session by it, so each lane has
    # its own session (removed when the context ends).
    with app.app_context():
        _lane(get_state(), campaign_id, run_key, worker_id, go_on, outcome, slots, crew, lane)


def _lane(
    state: BroadcastsState,
    campaign_id: int,
    run_key: str,
    worker_id: str,
    go_on: Callable[[], bool],
    outcome: RunOutcome,
    slots: threading.BoundedSemaphore | None,
    crew: Crew,
    lane: Lane,
) -> None:
    """One connection's batches, one claim at a time, over channels kept for the whole run."""
    channels = lane.channels = RunChannels(state, campaign_id, run_key, sms_slots=slots, retire=lane.retire)
    batch_size = state.settings.batch_size
    claim_size = -(-batch_size // crew.most)  # the first: the lane's share of the most lanes
    try:
        while outcome.error is None:
            began = time.monotonic()
            lanes = crew.size
            try:
                result = send_batch(
                    campaign_id, run_key, worker_id, channels=channels, lanes=lanes, claim_size=claim_size
                )
            except Throttled as throttled:
                mark_throttled(state, campaign_id)
                wait = throttled.until - time.time()
                if wait > MAX_AHEAD:
                    raise
                # A short pause (a gateway's "Retry-After: 1"): wait it out, then claim again.
                time.sleep(max(0.0, wait))
                continue
            with outcome.lock:
                outcome.settled += result.sent + result.failed
            if crew.most > 1:
                claim_size = next_claim_size(
                    batch_size,
                    max(1, crew.size),
                    result.sent + result.failed,
                    time.monotonic() - began,
                    result.remaining,
                )
            if result.claimed == 0 or result.stopped or result.paused:
                return
            if result.retired or lane.retire.is_set():  # the send job has fewer lanes now (module lane_scaling)
                if result.released:
                    with outcome.lock:
                        outcome.given_back = True
                return
            if not go_on():
                with outcome.lock:
                    outcome.hand_over = True
                return
    except Throttled as throttled:  # no error: this lane ends, the run waits for the pause's end
        with outcome.lock:
            outcome.throttled_until = max(outcome.throttled_until or 0.0, throttled.until)
    except BaseException as exc:  # noqa: BLE001 - handed to the job's thread, which raises it
        with outcome.lock:
            if outcome.error is None:
                outcome.error = exc
            else:
                log.warning("lane of campaign %s also failed: %s", campaign_id, exc)
    finally:
        channels.close()
        lane.ended.set()
