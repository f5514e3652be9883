"""flask_broadcasts.engine.tracking: what following a message's open pixel or tracked link records.

What the report's opens and clicks rely on: a person's first open or click of a message
counts as unique, the next ones in the total only, a machine's (a HEAD request) apart; a
click redirects to the link at its index in the message's own texts, never anywhere else;
a token of another kind or organization records nothing; and a campaign whose tracking was
turned off since it was sent records nothing either.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.report_counts import read
from flask_broadcasts.engine.tracking import (
    InvalidToken,
    NoSuchLink,
    TrackingRequest,
    click_url,
    follow_click,
    open_url,
    record_open,
)
from flask_broadcasts.models import BroadcastCampaign, BroadcastMessage, BroadcastTrackingEvent
from tests.support.fixtures import ORG, make_campaign, seed_customers, store_inline
from tests.support.host import db

BASE = "https://app.example.test"
PERSON = TrackingRequest(ip="203.0.113.7", user_agent="Mozilla/5.0")


def _tracked_message(app) -> BroadcastMessage:
    seed_customers(1)
    campaign_id = make_campaign()
    db.session.execute(
        sa.update(BroadcastCampaign)
        .where(BroadcastCampaign.id == campaign_id)
        .values(track_opens=True, track_clicks=True)
    )
    db.session.commit()
    start_campaign(ORG, campaign_id)
    store_inline(campaign_id)
    return db.session.scalar(sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id))


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".gif")


def _report(campaign_id: int) -> dict[tuple[str, str], int]:
    return {(metric, key): n for _, _, metric, key, n in read(db.session, campaign_id) if not metric.startswith("hour")}


def test_the_first_open_is_unique_the_next_count_in_the_total_and_a_machines_apart(app, env) -> None:
    message = _tracked_message(app)
    token = _token(open_url(ORG, message.id, base=BASE))

    record_open(token, PERSON)
    record_open(token, PERSON)
    record_open(token, TrackingRequest(head=True))  # a scanner's HEAD

    assert _report(message.campaign_id) == {("opened", ""): 2, ("opened_unique", ""): 1, ("opened_machine", ""): 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastTrackingEvent)) == 3


def test_a_click_leads_to_the_link_at_its_index_of_the_messages_own_texts(app, env) -> None:
    message = _tracked_message(app)

    assert follow_click(_token(click_url(ORG, message.id, 0, base=BASE)), PERSON) == "https://example.com/u"
    with pytest.raises(NoSuchLink):
        follow_click(_token(click_url(ORG, message.id, 5, base=BASE)), PERSON)

    report = _report(message.campaign_id)
    assert (report[("clicked", "")], report[("link_clicks", "0")], report[("link_unique", "0")]) == (1, 1, 1)
    assert ("link_clicks", "5") not in report


def test_a_token_of_another_kind_or_organization_records_nothing(app, env) -> None:
    message = _tracked_message(app)

    with pytest.raises(InvalidToken):
        follow_click(_token(open_url(ORG, message.id, base=BASE)), PERSON)  # an open token as a click
    genuine = _token(open_url(ORG, message.id, base=BASE))
    altered = genuine[:-5] + ("A" if genuine[-5] != "A" else "B") + genuine[-4:]
    with pytest.raises(InvalidToken):
        record_open(altered, PERSON)
    with pytest.raises(LookupError):
        record_open(_token(open_url("org-2", message.id, base=BASE)), PERSON)

    assert _report(message.campaign_id) == {}


def test_tracking_turned_off_after_sending_still_redirects_and_records_nothing(app, env) -> None:
    message = _tracked_message(app)
    db.session.execute(
        sa.update(BroadcastCampaign)
        .where(BroadcastCampaign.id == message.campaign_id)
        .values(track_opens=False, track_clicks=False)
    )
    db.session.commit()

    record_open(_token(open_url(ORG, message.id, base=BASE)), PERSON)
    assert follow_click(_token(click_url(ORG, message.id, 0, base=BASE)), PERSON) == "https://example.com/u"

    assert _report(message.campaign_id) == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastTrackingEvent)) == 0
