"""The two reference lines, on the same PostgreSQL and sink as the campaigns.

* **limit** — no framework: the final message rows written by ``COPY`` per 500 and
  pre-rendered messages sent over one reused :mod:`smtplib` connection per process,
  two processes. What this machine can do at best with one durable row per message.
* **limit with records** (``recorded=True``) — the limit line plus the one thing our
  promise of exactly once adds to every message: its rows are stored pending, and each
  acceptance is recorded by the engine's own record statement before the next message
  goes (in flight while the next one is sent, committed asynchronously — as our workers
  do). No claims, no lanes, no per-message features: what that promise costs at least.
* **naive** — the first thing one writes: an ORM row + ``commit`` per message and
  Flask-Mail's ``mail.send`` (a new SMTP connection) per message, one process.
"""

from __future__ import annotations

import base64
import multiprocessing
import smtplib
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg

SUBJECT = "Hello {first_name}!"
BODY = "<p>Hi {first_name} {last_name}, here's your monthly update...</p><p>Regards, the team</p>"
SENDER = "broadcasts@example.com"
COPY_CHUNK = 500
MESSAGE_COLUMNS = (
    "organization_id",
    "campaign_id",
    "run_key",
    "recipient_type",
    "recipient_id",
    "customer_id",
    "subject",
    "body",
    "action_label",
    "action_url",
    "channels",
    "locale",
    "email",
    "status",
    "mail_status",
    "attempts",
    "created_at",
    "sent_at",
)


def render(template: str, customer: tuple[Any, ...]) -> str:
    _, first_name, last_name, _ = customer
    return template.replace("{first_name}", first_name or "").replace("{last_name}", last_name or "")


def _mime(to: str, subject: str, body: str) -> bytes:
    # Hand-built: this line measures storage and SMTP, not MIME generation (done before the clock starts).
    return (
        f"From: {SENDER}\r\nTo: {to}\r\n"
        f"Subject: =?utf-8?b?{base64.b64encode(subject.encode()).decode()}?=\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.com>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.encodebytes(body.encode()).decode().replace(chr(10), chr(13) + chr(10))}"
    ).encode()


def _limit_worker(
    database: str,
    campaign_id: int,
    organization_id: str,
    customers: list[tuple[Any, ...]],
    mail_port: int,
    barrier: Any,
    results: Any,
    template_body: str = BODY,
    recorded: bool = False,
) -> None:
    prepared = []
    for customer in customers:
        subject, body = render(SUBJECT, customer), render(template_body, customer)
        prepared.append((customer, subject, body, _mime(customer[3], subject, body)))
    with psycopg.connect(database) as connection:
        record = _recording_statement(database) if recorded else None
        barrier.wait()
        started = time.monotonic()
        smtp = smtplib.SMTP("127.0.0.1", mail_port)
        smtp.ehlo()
        for offset in range(0, len(prepared), COPY_CHUNK):
            chunk = prepared[offset : offset + COPY_CHUNK]
            now = datetime.now(UTC)
            # With records, the rows' ids are taken first, to record each by its id.
            ids = _new_ids(connection, len(chunk)) if record else []
            columns = ("id", *MESSAGE_COLUMNS) if record else MESSAGE_COLUMNS
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY broadcast_messages ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for index, (customer, subject, body, _) in enumerate(chunk):
                    row = (
                        organization_id,
                        campaign_id,
                        "limit",
                        "customer",
                        str(customer[0]),
                        str(customer[0]),
                        subject,
                        body,
                        None,
                        None,
                        '["mail"]',
                        None,
                        customer[3],
                        "pending" if record else "completed",
                        None if record else "sent",
                        1,
                        now,
                        None if record else now,
                    )
                    copy.write_row((ids[index], *row) if record else row)
            connection.commit()
            if record is None:
                for customer, _, _, data in chunk:
                    smtp.sendmail(SENDER, [customer[3]], data)
                continue
            for message_id, (customer, _, _, data) in zip(ids, chunk, strict=True):
                if record.busy:
                    # The previous acceptance is recorded before this message goes (ours
                    # waits before the final bytes, its envelope already exchanged).
                    record.wait()
                smtp.sendmail(SENDER, [customer[3]], data)
                record.send(_record_values(message_id))
        if record is not None and record.busy:
            record.wait()
        smtp.quit()
        results.put(time.monotonic() - started)


def _recording_statement(database: str) -> Any:
    """The engine's record statement on an autocommit connection with asynchronous commits, as a worker's.

    The connection lives as long as the limit process.
    """
    from flask_broadcasts.engine import record_sql
    from flask_broadcasts.engine.pg_async import InFlightStatement

    recording = psycopg.connect(database, autocommit=True)
    recording.execute("SET synchronous_commit = off")
    return InFlightStatement(
        recording.pgconn, record_sql.PG_RECORD_NAME, record_sql.PG_RECORD, timeout=record_sql.RECORD_TIMEOUT
    )


def _new_ids(connection: Any, count: int) -> list[int]:
    """``count`` ids from the messages' own sequence: one statement per chunk, whatever the table's statistics.

    Reading the stored rows' ids back by their key instead made the first run at 100,000 take
    62–73 s where the second took 25–36 s (its plan before the table's first ``ANALYZE``).
    """
    rows = connection.execute(
        "SELECT nextval(pg_get_serial_sequence('broadcast_messages', 'id')) FROM generate_series(1, %s)", (count,)
    ).fetchall()
    return [message_id for (message_id,) in rows]


def _record_values(message_id: int) -> list[bytes | None]:
    """The record statement's parameters for an accepted e-mail (``record_sql.PG_RECORD``'s order)."""
    sent_at = datetime.now(UTC).isoformat().encode()
    return [b"completed", None, sent_at, b"sent", None, None, str(message_id).encode(), None, b"1"]


def run_limit(
    database: str,
    campaign_id: int,
    organization_id: str,
    customers: list[tuple[Any, ...]],
    mail_port: int,
    processes: int = 2,
    body: str = BODY,
    *,
    recorded: bool = False,
) -> float:
    """Seconds for ``processes`` processes to store and send one message per customer (``body`` rendered for each).

    ``recorded``: the limit with records (see the module's docstring).
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    results = context.Queue()
    share = (len(customers) + processes - 1) // processes
    workers = [
        context.Process(
            target=_limit_worker,
            args=(
                database,
                campaign_id,
                organization_id,
                customers[i * share : (i + 1) * share],
                mail_port,
                barrier,
                results,
                body,
                recorded,
            ),
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.monotonic()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    if any(worker.exitcode for worker in workers):
        raise RuntimeError("a limit process failed")
    return elapsed


def _naive_worker(
    database: str,
    redis_url: str,
    mail_port: int,
    campaign_id: int,
    organization_id: str,
    customers: list[tuple[Any, ...]],
    results: Any,
    template_body: str = BODY,
) -> None:
    from flask_mail import Message

    from benchmarks.environment import make_app
    from example_app.extensions import db, mail
    from flask_broadcasts.models import BroadcastMessage

    app = make_app(database, redis_url, mail_port)
    with app.app_context():
        started = None
        for index, customer in enumerate(customers):
            if index == 1:  # the first message warms up lazy imports and the connection pool
                started = time.monotonic()
            subject, body = render(SUBJECT, customer), render(template_body, customer)
            mail.send(Message(subject=subject, recipients=[customer[3]], html=body, sender=SENDER))
            db.session.add(
                BroadcastMessage(
                    organization_id=organization_id,
                    campaign_id=campaign_id,
                    run_key="naive",
                    recipient_type="customer",
                    recipient_id=str(customer[0]),
                    customer_id=str(customer[0]),
                    subject=subject,
                    body=body,
                    channels=["mail"],
                    email=customer[3],
                    status="completed",
                    mail_status="sent",
                    sent_at=datetime.now(UTC),
                )
            )
            db.session.commit()
        results.put((time.monotonic() - started, len(customers) - 1))


def run_naive(
    database: str,
    redis_url: str,
    mail_port: int,
    campaign_id: int,
    organization_id: str,
    customers: list[tuple[Any, ...]],
    body: str = BODY,
) -> tuple[float, int]:
    """Seconds for one process to store and send one message per customer, the naive way, and how many were timed."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(
        target=_naive_worker,
        args=(database, redis_url, mail_port, campaign_id, organization_id, customers, results, body),
    )
    process.start()
    elapsed, count = results.get(timeout=1800)
    process.join()
    return elapsed, count
