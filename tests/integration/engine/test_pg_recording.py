"""flask_broadcasts.engine.pg_recording: how PostgreSQL is made to keep an outcome recorder's records.

What a user relies on (PostgreSQL only, the tests skip elsewhere): when the recording
connection is lost, the recorder reconnects and writes again every record since the last
synchronous commit (a PostgreSQL crash may have lost them: a message must not stay pending
after it was handed over, or it is sent twice); the sent-e-mail rows go by ``COPY`` and still
arrive when the recovery sweep wrote one of them first; and the connection goes back to the
pool with ``synchronous_commit`` on again, so the session's own commits stay durable.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.outcomes import OutcomeRecorder
from flask_broadcasts.models import BroadcastMessage, BroadcastSentEmail, utcnow
from flask_broadcasts.statuses import MessageStatus
from tests.support.fixtures import (
    ORG,
    claimed_run,
    message_ids,
    set_config,
)
from tests.support.host import db


@pytest.fixture
def recorder(app, env, is_postgres) -> Iterator[OutcomeRecorder]:
    if not is_postgres:
        pytest.skip("the recording connection is PostgreSQL's (SQLite records through the session)")
    set_config(env, app, BROADCASTS_COUNTER_FLUSH=100, BROADCASTS_EVENT_EVERY=100)  # flush when asked
    campaign_id = claimed_run(3)  # claimed by "test-claim", as a batch holds them
    recorder = OutcomeRecorder(db.session, campaign_id, "once", "test-claim")
    assert recorder.conn is not None
    yield recorder
    recorder.close()


def _statuses(ids: list[int]) -> list[str]:
    with db.engine.connect() as other:
        rows = other.execute(
            sa.select(BroadcastMessage.id, BroadcastMessage.status).where(BroadcastMessage.id.in_(ids))
        )
        return [status for _, status in sorted(rows)]


def _sent_email(message_id: int, response: str) -> dict:
    return {
        "organization_id": ORG,
        "message_id": message_id,
        "message_id_header": f"<m{message_id}@acme.test>",
        "sender": "news@acme.test",
        "recipient": f"m{message_id}@example.test",
        "subject": "Hello",
        "sent_at": utcnow(),
        "response": response,
    }


def test_after_the_connection_is_lost_the_records_since_the_last_synchronous_commit_are_written_again(recorder):
    first, second, _ = message_ids(recorder.campaign_id)
    recorder.record(first, MessageStatus.COMPLETED, mail_status="sent")
    recorder.settle()
    # What a PostgreSQL crash does to an asynchronous commit: the record is gone, and so is the connection.
    db.session.execute(sa.update(BroadcastMessage).where(BroadcastMessage.id == first).values(status="pending"))
    db.session.commit()
    pid = recorder.record_statement.pgconn.backend_pid
    with db.engine.connect() as other:
        assert other.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()

    # The error still reaches the sender, once the records were written again.
    with pytest.raises(psycopg.OperationalError):
        recorder.record(second, MessageStatus.COMPLETED, mail_status="sent")
        recorder.before_handover()

    assert _statuses([first, second]) == ["completed", "completed"]
    assert recorder.unsynced == []
    assert recorder.record_statement.pgconn.backend_pid != pid  # on a connection of its own again


def test_sent_email_rows_arrive_when_the_recovery_sweep_wrote_one_first(recorder):
    first, second, third = message_ids(recorder.campaign_id)
    recorder.sent_email(**_sent_email(first, "250 ok"))
    recorder.record(first, MessageStatus.COMPLETED, mail_status="sent")
    recorder.flush()  # by COPY
    db.session.add(BroadcastSentEmail(**_sent_email(third, None)))  # the sweep's, without the answer
    db.session.commit()

    for message_id in (second, third):
        recorder.sent_email(**_sent_email(message_id, "250 ok"))
        recorder.record(message_id, MessageStatus.COMPLETED, mail_status="sent")
    recorder.flush()

    db.session.rollback()
    rows = db.session.execute(
        sa.select(BroadcastSentEmail.message_id, BroadcastSentEmail.response).order_by(BroadcastSentEmail.message_id)
    ).all()
    assert [tuple(row) for row in rows] == [(first, "250 ok"), (second, "250 ok"), (third, None)]


def test_the_connection_goes_back_to_the_pool_with_synchronous_commit_on(recorder):
    dbapi_connection = recorder.conn.connection.dbapi_connection
    with dbapi_connection.cursor() as cursor:
        assert cursor.execute("SHOW synchronous_commit").fetchone() == ("off",)  # records commit asynchronously

    recorder.close()

    assert not dbapi_connection.closed  # back in the pool, not thrown away
    with dbapi_connection.cursor() as cursor:
        assert cursor.execute("SHOW synchronous_commit").fetchone() == ("on",)
