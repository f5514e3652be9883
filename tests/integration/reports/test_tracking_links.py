"""Tracking tokens and machine activity: forged, altered, other-kind and cross-organization
tokens, an open-redirect attempt, a campaign whose tracking was turned off, the machine
rules; the URLs are the same in every copy of a message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import func, select, update

from flask_broadcasts import get_state
from flask_broadcasts.engine.tracking import CLICK, OPEN, TrackingRequest, batch_tracking, is_machine
from flask_broadcasts.engine.unsubscribe import public_prefix, unsubscribe_url
from flask_broadcasts.models import (
    BroadcastCampaign,
    BroadcastMessage,
    BroadcastReportCount,
    BroadcastTrackingEvent,
    utcnow,
)
from flask_broadcasts.signing import sign_stable
from tests.support.reports import add_customers, api_get, path_of, received, send, tracked_campaign
from tests.support.smtp import SmtpServer


def _recorded() -> tuple[int, int]:
    """Tracking events, and the sum of the tracking counts."""
    session = get_state().session
    session.rollback()
    events = session.scalar(select(func.count()).select_from(BroadcastTrackingEvent))
    tracked = session.scalar(
        select(func.coalesce(func.sum(BroadcastReportCount.count), 0)).where(
            BroadcastReportCount.metric.like("opened%")
            | BroadcastReportCount.metric.like("clicked%")
            | BroadcastReportCount.metric.like("link_%")
        )
    )
    return int(events or 0), int(tracked or 0)


@pytest.fixture
def sent(app: Flask, client: FlaskClient, tenant: Any, mail_server: SmtpServer, run_queue: Queue) -> dict[str, Any]:
    add_customers(tenant, ["ann@example.com", "bob@example.com"])
    cid = tracked_campaign(client, tenant)
    send(client, tenant, cid, run_queue)
    # An hour ago: the machine rule of the first seconds stays out of the way.
    session = get_state().session
    session.execute(update(BroadcastMessage).values(sent_at=utcnow() - timedelta(hours=1)))
    session.commit()
    return {"cid": cid, "mails": received(mail_server)}


def test_bad_tokens_answer_4xx_and_count_nothing(
    client: FlaskClient, tenant: Any, other_tenant: Any, sent: dict
) -> None:
    ann = sent["mails"]["ann@example.com"]
    click, pixel = path_of(ann.clicks[0]), path_of(ann.pixel)
    token = click.rsplit("/", 1)[1]
    message = get_state().session.execute(select(BroadcastMessage).filter_by(email="ann@example.com")).scalar_one()
    forged = "WzEsMiwwXQ.forgedsignature"
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    opener = pixel.rsplit("/", 1)[1].removesuffix(".gif")
    unsubscribe = unsubscribe_url(message, "mail", base=public_prefix(get_state().settings))
    probes = {
        f"/api/broadcast-t/c/{forged}": 400,
        f"/api/broadcast-t/c/{altered}": 400,
        f"/api/broadcast-t/o/{altered}.gif": 400,
        # itsdangerous skips non-ASCII characters: a genuine token with one added is refused here.
        f"/api/broadcast-t/c/{token}%C2%80": 400,
        f"/api/broadcast-t/c/{opener}": 400,  # an open token is not a click token
        f"/api/broadcast-t/o/{token}.gif": 400,  # nor the other way round
        "/api/broadcast-t/c/" + unsubscribe.rsplit("/", 1)[1]: 400,  # another kind altogether
        # Well signed, but the message is not the named organization's: as if it did not exist.
        "/api/broadcast-t/c/" + sign_stable(CLICK, [str(other_tenant.id), message.id, 0]): 404,
        "/api/broadcast-t/o/" + sign_stable(OPEN, [str(other_tenant.id), message.id]) + ".gif": 404,
        "/api/broadcast-t/c/" + sign_stable(CLICK, [str(tenant.id), 10**12, 0]): 404,
        # An open-redirect attempt: a link the message does not have, or a URL in the request.
        "/api/broadcast-t/c/" + sign_stable(CLICK, [str(tenant.id), message.id, 2]): 400,
        "/api/broadcast-t/c/" + sign_stable(CLICK, [str(tenant.id), message.id, -1]): 400,
        "/api/broadcast-t/c/" + sign_stable(CLICK, [str(tenant.id), message.id, "https://evil.example"]): 400,
    }
    for path, status in probes.items():
        answer = client.get(path)
        assert (path, answer.status_code) == (path, status)
        assert "Location" not in answer.headers
    assert _recorded() == (0, 0)
    answer = client.get(click + "?url=https://evil.example&next=//evil.example")
    assert answer.headers["Location"] == "https://example.com/a?u=C0&x=1"
    assert _recorded() == (1, 4)  # clicked, clicked_unique, link_clicks, link_unique


def test_turned_off_after_sending_redirects_and_counts_nothing(client: FlaskClient, sent: dict) -> None:
    session = get_state().session
    session.execute(update(BroadcastCampaign).values(track_opens=False, track_clicks=False))
    session.commit()
    ann = sent["mails"]["ann@example.com"]
    assert client.get(path_of(ann.clicks[1])).headers["Location"] == "https://example.com/cta"
    assert client.get(path_of(ann.pixel)).status_code == 200
    assert _recorded() == (0, 0)


def test_machine_rules(app: Flask, client: FlaskClient, tenant: Any, sent: dict) -> None:
    settings = get_state().settings
    settings.tracking_machine_networks = ["17.0.0.0/8", "not a network"]
    settings.tracking_machine_user_agents = ["GoogleImageProxy"]
    ann, bob = sent["mails"]["ann@example.com"], sent["mails"]["bob@example.com"]
    client.head(path_of(ann.pixel))
    client.get(path_of(ann.pixel), environ_base={"REMOTE_ADDR": "17.58.1.2"})
    client.get(path_of(ann.pixel), headers={"User-Agent": "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"})
    client.head(path_of(ann.clicks[0]))
    client.get(path_of(bob.pixel), environ_base={"REMOTE_ADDR": "18.0.0.1"}, headers={"User-Agent": "Mail/1.0"})
    mail = api_get(client, tenant, f"broadcast-campaigns/{sent['cid']}/report").get_json()["data"]["attributes"]
    mail = mail["channels"]["mail"]
    assert mail["opened"] == {"unique": 1, "total": 1, "machine": 3}
    assert mail["clicked"] == {"unique": 0, "total": 0, "machine": 1}
    machine = get_state().session.scalars(select(BroadcastTrackingEvent.machine).order_by(BroadcastTrackingEvent.id))
    assert list(machine) == [True, True, True, True, False]
    # Within BROADCASTS_TRACKING_MACHINE_SECONDS of sent_at: a scanner; after: a person.
    now = utcnow()
    assert is_machine(TrackingRequest(), now - timedelta(seconds=3), settings, now=now)
    assert not is_machine(TrackingRequest(), now - timedelta(seconds=11), settings, now=now)
    assert not is_machine(TrackingRequest(ip="::1", user_agent=None), None, settings, now=now)


def test_urls_are_the_same_in_every_copy(app: Flask, sent: dict) -> None:
    message = get_state().session.execute(select(BroadcastMessage).filter_by(email="ann@example.com")).scalar_one()
    tracking_for = batch_tracking(get_state().settings, opens=True, clicks=True)
    assert tracking_for is not None
    first, again = tracking_for(message), tracking_for(message)
    assert first.open_url == again.open_url == sent["mails"]["ann@example.com"].pixel
    assert first.click_url is not None and again.click_url is not None
    assert [first.click_url(i) for i in range(2)] == [again.click_url(i) for i in range(2)]
    assert [first.click_url(i) for i in range(2)] == sent["mails"]["ann@example.com"].clicks
    assert batch_tracking(get_state().settings, opens=False, clicks=False) is None
