"""flask_broadcasts.engine.unsubscribe: the one-click unsubscribe link of a message, and following it.

What a recipient relies on: the link of their message puts its address (and only for its
channel and organization) on the suppression list, once however often it is followed; it
stays valid ``BROADCASTS_UNSUBSCRIBE_MAX_AGE`` from the time the message was sent, not from
when it was stored; and a link whose message is gone says so instead of suppressing anything.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.report_counts import read
from flask_broadcasts.engine.unsubscribe import (
    InvalidToken,
    batch_links,
    public_prefix,
    read_link,
    unsubscribe,
    unsubscribe_url,
)
from flask_broadcasts.models import BroadcastMessage, BroadcastSuppression, utcnow
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG, make_campaign, seed_customers, store_inline
from tests.support.host import db


def _stored_message(app) -> BroadcastMessage:
    seed_customers(1)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    store_inline(campaign_id)
    return db.session.scalar(sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id))


def _token(message: BroadcastMessage, channel: str = "mail") -> str:
    return unsubscribe_url(message, channel, base="https://app.example.test").rsplit("/", 1)[1]


def test_following_the_link_suppresses_the_messages_address_once(app, env) -> None:
    message = _stored_message(app)
    link = read_link(_token(message))
    assert (link.organization_id, link.channel, link.message_id) == (ORG, "mail", message.id)

    assert unsubscribe(link) is True
    assert unsubscribe(read_link(_token(message))) is False  # followed again: nothing more

    (entry,) = db.session.scalars(sa.select(BroadcastSuppression)).all()
    assert (entry.organization_id, entry.channel, entry.address) == (ORG, "mail", "c1@example.test")
    assert (entry.reason, entry.source_kind, entry.source_id) == ("unsubscribed", "message", str(message.id))
    counts = [(channel, metric, n) for _, channel, metric, _, n in read(db.session, message.campaign_id)]
    assert ("mail", "unsubscribed", 1) in counts


def test_the_link_is_valid_for_the_max_age_from_the_sending(app, env) -> None:
    settings = get_state(app).settings
    settings.unsubscribe_max_age = 2 * 24 * 3600
    message = _stored_message(app)
    message.created_at = utcnow() - timedelta(days=10)  # stored long before it was sent
    message.sent_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    token = _token(message)

    assert read_link(token).message_id == message.id

    message.sent_at = utcnow() - timedelta(days=3)
    db.session.commit()
    with pytest.raises(InvalidToken, match="expired"):
        read_link(token)


def test_a_link_whose_message_is_gone_or_has_no_address_suppresses_nothing(app, env) -> None:
    message = _stored_message(app)
    sms_token, mail_token = _token(message, "sms"), _token(message)

    with pytest.raises(LookupError):
        unsubscribe(read_link(sms_token))  # the message has no mobile number

    db.session.delete(message)  # purged
    db.session.commit()
    link = read_link(mail_token)
    assert link.message is None
    with pytest.raises(LookupError):
        unsubscribe(link)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastSuppression)) == 0


def test_links_are_under_the_public_url_and_without_one_none_is_made(app, env) -> None:
    settings = get_state(app).settings
    settings.public_url, settings.url_prefix, settings.events_url_prefix = "https://mail.example.test/", "/api/", None
    assert public_prefix(settings) == "https://mail.example.test/api"  # the plain blueprint's routes
    settings.public_url = None

    with pytest.raises(LookupError):
        public_prefix(settings)
    assert batch_links(settings) is None


def test_a_batchs_links_are_each_messages_own_link(app, env) -> None:
    """The links a batch makes (its URL's start and minter made once, each locale's footer
    read once) are the links :func:`unsubscribe_url` makes of each message alone."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from flask_broadcasts.engine.unsubscribe import UNSUBSCRIBE, locale_chain, sms_link
    from flask_broadcasts.rendering.unsubscribe_texts import texts_for
    from flask_broadcasts.signing import verify_stamped

    settings = get_state(app).settings
    settings.public_url, settings.unsubscribe_footer = "https://mail.example.test/", True
    base = public_prefix(settings)
    created = datetime(2026, 11, 3, 8, 30, 15)
    messages = [
        SimpleNamespace(id=number, organization_id=organization, created_at=at, locale=locale, body="<p>Hi</p>")
        for number, (organization, at, locale) in enumerate(
            [
                (ORG, created, "fr"),
                (ORG, created, None),
                ("org-2", created, "fr"),
                (ORG, created + timedelta(seconds=1), "de-AT"),
                (ORG, created.replace(tzinfo=UTC), "en"),
            ],
            start=1,
        )
    ]
    links, sms = batch_links(settings), sms_link(settings)
    assert links is not None and sms is not None
    for message in messages:
        link = links.of(message)
        assert link.url == unsubscribe_url(message, "mail", base=base)
        assert sms(message) == unsubscribe_url(message, "sms", base=base)
        assert link.footer == texts_for(locale_chain(message.locale))["footer"]
        payload, _ = verify_stamped(UNSUBSCRIBE, link.url.rsplit("/", 1)[1])
        assert payload == [message.organization_id, "mail", message.id]
