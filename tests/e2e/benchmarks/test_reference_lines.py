"""The benchmark's limit lines store and send what they claim to (real processes, a real SMTP server).

The limit with records is the floor the newsletter target is read against, so it must do
what ours does per message — every acceptance recorded on its row — and nothing less.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from benchmarks import reference
from flask_broadcasts.models import BroadcastMessage
from tests.support.fixtures import ORG, make_campaign, seed_customers

RECIPIENTS = 60


def _customers() -> list[tuple]:
    from tests.support.host import Customer, db

    rows = db.session.execute(
        sa.select(Customer.id, Customer.first_name, Customer.last_name, Customer.email).order_by(Customer.id)
    ).all()
    db.session.rollback()
    return [tuple(row) for row in rows]


def _stored(campaign_id: int) -> list[tuple]:
    from tests.support.hostapp import db

    rows = db.session.execute(
        sa.select(BroadcastMessage.status, BroadcastMessage.mail_status, BroadcastMessage.sent_at).where(
            BroadcastMessage.campaign_id == campaign_id
        )
    ).all()
    db.session.rollback()
    return rows


@pytest.mark.parametrize("recorded", [False, True], ids=["limit", "limit with records"])
def test_each_limit_line_sends_every_message_once_and_leaves_each_row_sent(app, env, smtp, is_postgres, recorded):
    if not is_postgres:
        pytest.skip("the limit lines write by COPY and record through libpq: PostgreSQL's, as the benchmark")
    seed_customers(RECIPIENTS)
    customers = _customers()
    campaign_id = make_campaign()
    database = sa.make_url(env["DATABASE_URL"]).set(drivername="postgresql").render_as_string(hide_password=False)

    reference.run_limit(database, campaign_id, ORG, customers, smtp.port, recorded=recorded)

    assert sorted(r.rcpt_tos[0] for r in smtp.received) == sorted(c[3] for c in customers)
    rows = _stored(campaign_id)
    assert len(rows) == RECIPIENTS
    # With records the rows were stored pending: each became sent only by its own record.
    assert {(status, mail_status) for status, mail_status, _ in rows} == {("completed", "sent")}
    assert all(sent_at is not None for *_, sent_at in rows)
