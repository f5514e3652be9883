"""flask_broadcasts.models.messages: one message per (campaign, run, recipient) at most, the exactly-once key."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from flask_broadcasts.models.messages import BroadcastMessage
from tests.support import host_fixtures
from tests.support.host_fixtures import db, make_campaign, make_customer, make_message

app, database_uri = host_fixtures.app, host_fixtures.database_uri


def test_one_message_per_campaign_run_and_recipient(app):
    campaign, ann = make_campaign(), make_customer()
    make_message(campaign, ann, run_key="once")
    make_message(campaign, ann, run_key="2026-06-01T09:00:00Z")  # another run: another message
    with pytest.raises(IntegrityError):
        make_message(campaign, ann, run_key="once")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastMessage)) == 2
