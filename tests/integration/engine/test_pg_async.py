"""flask_broadcasts.engine.pg_async: a prepared statement sent now, its result collected later.

What the outcome recorder relies on (PostgreSQL only, the tests skip elsewhere): ``wait``
answers the first row of the execution ``send`` sent; a failed execution raises there and the
connection goes on; a connection that already prepared the statement (a pooled one) can prepare
it again; and a connection PostgreSQL dropped is an ``OperationalError`` that ``is_disconnect``
recognizes, raw or wrapped by SQLAlchemy (what makes the recorder reconnect and write again).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.pg_async import InFlightStatement, is_disconnect
from tests.support.host import db

NAME, SQL = b"tests_pg_async", b"SELECT $1::int + 1, 'x'"


@pytest.fixture
def pgconn(app, env, is_postgres) -> Iterator[Any]:
    if not is_postgres:
        pytest.skip("libpq's asynchronous API is PostgreSQL's (psycopg 3)")
    connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        yield connection.connection.dbapi_connection.pgconn
    finally:
        connection.invalidate()  # never back to the pool with the test's prepared statement
        connection.close()


def test_wait_answers_the_first_row_of_what_send_sent(pgconn):
    statement = InFlightStatement(pgconn, NAME, SQL, timeout=5)

    statement.send([b"41"])
    assert statement.busy
    assert statement.wait() == (b"42", b"x")
    assert not statement.busy
    statement.send([b"1"])
    assert statement.wait() == (b"2", b"x")


def test_a_failed_execution_raises_at_wait_and_the_connection_goes_on(pgconn):
    statement = InFlightStatement(pgconn, NAME, SQL, timeout=5)
    statement.send([b"not a number"])

    with pytest.raises(psycopg.DatabaseError, match="invalid input syntax"):
        statement.wait()
    statement.send([b"2"])
    assert statement.wait() == (b"3", b"x")
    # Prepared again on the same connection (a pooled one keeps it): not an error.
    again = InFlightStatement(pgconn, NAME, SQL, timeout=5)
    again.send([b"9"])
    assert again.wait() == (b"10", b"x")


def test_a_dropped_connection_is_a_disconnect(pgconn):
    statement = InFlightStatement(pgconn, NAME, SQL, timeout=5)
    with db.engine.connect() as other:
        # Waits (up to 5 s) until the backend is gone, so the send below cannot race it.
        assert other.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pgconn.backend_pid}).scalar()

    with pytest.raises(psycopg.OperationalError) as raised:
        statement.send([b"1"])
        statement.wait()

    assert is_disconnect(raised.value)
    wrapped = sa.exc.OperationalError("SELECT 1", {}, raised.value)
    assert is_disconnect(wrapped)
    assert not is_disconnect(psycopg.DatabaseError("statement failed: division by zero"))
    assert not is_disconnect(ValueError("not a database error"))
