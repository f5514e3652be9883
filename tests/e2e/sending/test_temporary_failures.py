"""One greylisted address must not hold a campaign: per-message temporary failures and the
``retry`` action, with a real worker process (and its RQ scheduler) and a real SMTP server.

``BROADCASTS_RETRY_MAX`` and ``BROADCASTS_RETRY_INTERVALS`` are small here, so a recipient
answered 451 on every RCPT runs out of tries within seconds.
"""

from __future__ import annotations

import email.utils

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.retry import retry_campaign
from flask_broadcasts.errors import ConflictError
from flask_broadcasts.models import BroadcastMessage
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, set_config
from tests.support.processes import start_worker, stop_workers, wait_for
from tests.support.smtp import FOREVER

#: Three tries, a second apart.
RETRY = {"BROADCASTS_RETRY_MAX": 3, "BROADCASTS_RETRY_INTERVALS": [1]}
N = 12
GREY_FOREVER = "c3@example.test"  # 451 on every RCPT until the test lets it through
GREY_TWICE = "c5@example.test"  # greylisted: 451 twice, then accepted
REFUSED = f"refuse{N}@example.test"  # 550


def _messages(db, campaign_id: int) -> dict[str, BroadcastMessage]:
    db.session.rollback()
    rows = db.session.execute(sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id))
    return {m.email: m for m in rows.scalars()}


def _completed(campaign_id: int):
    row = campaign_row(campaign_id)
    return row if row.status == "completed" else None


def test_temporary_failures_stay_with_their_message_and_retry_sends_only_them(app, env, smtp):
    from tests.support.hostapp import db

    set_config(env, app, **RETRY)
    smtp.greylist.update({GREY_FOREVER: FOREVER, GREY_TWICE: 2})
    seed_customers(N, refuse_every=N)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    workers = [start_worker(env, burst=False)]
    try:
        row = wait_for(lambda: _completed(campaign_id), 60, "the run to complete")
        # Everyone else went out at once, each once; the greylisted one on its third try,
        # without an operator; the two failures failed alone.
        assert (row.sent_count, row.failed_count, row.total_count, row.runs_count) == (N - 2, 2, N, 1)
        messages = _messages(db, campaign_id)
        grey, refused, cleared = messages[GREY_FOREVER], messages[REFUSED], messages[GREY_TWICE]
        assert (grey.status, grey.error_code, grey.mail_status, grey.tries) == (
            "failed",
            "temporary_failure",
            "refused",
            3,
        )
        assert "451 4.7.1 greylisted" in grey.error
        assert (refused.status, refused.error_code, refused.tries) == ("failed", "refused", 1)
        assert (cleared.status, cleared.error, cleared.tries) == ("completed", None, 3)
        assert smtp.rcpt_tries[GREY_FOREVER] == 3 and smtp.rcpt_tries[GREY_TWICE] == 3
        assert smtp.rcpt_tries[REFUSED] == 1
        received = sorted(smtp.recipients())
        assert received == sorted(set(received)) and len(received) == N - 2

        # The server takes the first one now: retry sends it (and only it) again.
        smtp.greylist[GREY_FOREVER] = 0
        reopened = retry_campaign(ORG, campaign_id)
        assert (reopened.status, reopened.failed_count, reopened.sent_count) == ("pending", 1, N - 2)
        with pytest.raises(ConflictError) as busy:
            retry_campaign(ORG, campaign_id)  # a double click: the run is open again
        assert busy.value.error_code == "illegal_transition"
        row = wait_for(lambda: _completed(campaign_id), 30, "the retried run to complete")
    finally:
        outputs = stop_workers(workers)
    assert (row.sent_count, row.failed_count, row.total_count, row.runs_count) == (N - 1, 1, N, 1), outputs
    retried = [m for m in smtp.received if GREY_FOREVER in m.rcpt_tos]
    assert len(retried) == 1
    assert smtp.rcpt_tries[REFUSED] == 1  # a refusal for good is never tried again
    messages = _messages(db, campaign_id)
    assert (messages[GREY_FOREVER].status, messages[GREY_FOREVER].error_code) == ("completed", None)
    # The run's own Message-ID (same domain and recipient part as the others of the run).
    message_id_before = next(m for m in smtp.received if GREY_TWICE in m.rcpt_tos).message["Message-ID"]
    header = retried[0].message["Message-ID"]
    assert header and email.utils.unquote(header).split("@")[1] == email.utils.unquote(message_id_before).split("@")[1]
    # Only the 550 is left, and it is never retried.
    with pytest.raises(ConflictError) as nothing:
        retry_campaign(ORG, campaign_id)
    assert nothing.value.error_code == "nothing_to_retry"
