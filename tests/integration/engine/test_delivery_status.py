"""flask_broadcasts.engine.delivery_status: a provider's report on an e-mail it was handed.

What a user relies on: ``record_delivery_status`` finds the message by our ``Message-ID``
(brackets optional); a ``failed`` report moves one message from ``sent`` to ``failed`` in the
campaign's counters and, once the run has completed, in the run's own figures, so ``total =
sent + failed`` keeps holding; a report that arrives while the run is still sending is in the
figures the completion counts; ``delivered`` counts once and nothing ever moves backwards.
"""

from __future__ import annotations

import sqlalchemy as sa

from flask_broadcasts.engine.completion import complete_run_if_done
from flask_broadcasts.engine.delivery_status import record_delivery_status
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastMessage, BroadcastRun, BroadcastSentEmail
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, store_inline
from tests.support.host import db


def _handed_over(app, recipients: int = 3) -> tuple[int, list[int]]:
    """A stored run whose e-mails were all handed over (``completed``, ``mail_status`` ``sent``),
    each with the Message-ID header ``<m<id>@acme.test>``; not completed yet."""
    seed_customers(recipients)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    assert store_inline(campaign_id) == recipients
    ids = list(
        db.session.scalars(
            sa.select(BroadcastMessage.id)
            .where(BroadcastMessage.campaign_id == campaign_id)
            .order_by(BroadcastMessage.id)
        )
    )
    db.session.execute(
        sa.update(BroadcastMessage).where(BroadcastMessage.id.in_(ids)).values(status="completed", mail_status="sent")
    )
    db.session.add_all(
        BroadcastSentEmail(
            organization_id=ORG,
            message_id=i,
            message_id_header=f"<m{i}@acme.test>",
            sender="news@acme.test",
            recipient=f"c{n}@example.test",
        )
        for n, i in enumerate(ids, 1)
    )
    db.session.commit()
    return campaign_id, ids


def _complete(campaign_id: int) -> None:
    assert complete_run_if_done(db.session, campaign_id, "once", None) is not None


def _run_figures(campaign_id: int) -> tuple[int, int, int]:
    db.session.rollback()
    run = db.session.execute(sa.select(BroadcastRun).where(BroadcastRun.campaign_id == campaign_id)).scalar_one()
    return run.sent_count, run.failed_count, run.delivered_count


def _message(message_id: int) -> tuple[str, str, str | None]:
    db.session.rollback()
    message = db.session.get(BroadcastMessage, message_id)
    return message.status, message.mail_status, message.error


def test_a_bounce_after_the_run_completed_moves_one_from_sent_to_failed_in_the_campaign_and_the_run(app, env):
    campaign_id, ids = _handed_over(app)
    _complete(campaign_id)

    assert record_delivery_status(f"<m{ids[0]}@acme.test>", "failed", error="550 no such user", channel="mail")

    assert _message(ids[0]) == ("failed", "undelivered", "550 no such user")
    row = campaign_row(campaign_id)
    assert (row.total_count, row.sent_count, row.failed_count) == (3, 2, 1)
    assert _run_figures(campaign_id) == (2, 1, 0)
    # The provider repeating itself changes nothing.
    assert not record_delivery_status(f"m{ids[0]}@acme.test", "failed", error="again", channel="mail")
    assert (campaign_row(campaign_id).failed_count, _run_figures(campaign_id)) == (1, (2, 1, 0))


def test_a_bounce_while_the_run_is_sending_is_in_the_figures_it_completes_with(app, env):
    campaign_id, ids = _handed_over(app)

    assert record_delivery_status(f"m{ids[1]}@acme.test", "failed", error="550", channel="mail")
    _complete(campaign_id)

    row = campaign_row(campaign_id)
    assert (row.total_count, row.sent_count, row.failed_count) == (3, 2, 1)
    assert _run_figures(campaign_id) == (2, 1, 0)


def test_delivered_counts_once_and_a_later_failure_never_moves_it_back(app, env):
    campaign_id, ids = _handed_over(app)
    _complete(campaign_id)

    assert record_delivery_status(f"m{ids[2]}@acme.test", "delivered", channel="mail")
    assert not record_delivery_status(f"m{ids[2]}@acme.test", "delivered", channel="mail")
    assert not record_delivery_status(f"m{ids[2]}@acme.test", "failed", error="late", channel="mail")

    assert _message(ids[2]) == ("delivered", "delivered", None)
    row = campaign_row(campaign_id)
    assert (row.sent_count, row.failed_count, row.delivered_count) == (3, 0, 1)
    assert _run_figures(campaign_id) == (3, 0, 1)
