"""The report of a tracked campaign sent over real SMTP: every figure equals a count taken
straight from the tables (failures of several codes, a suppression, bounces, a complaint,
an unsubscribe, opens and clicks), and the tracked e-mail is rewritten as documented."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import func, select

from flask_broadcasts import get_state
from flask_broadcasts.feedback import FeedbackEvent, FeedbackKind
from flask_broadcasts.feedback.service import apply_event
from flask_broadcasts.models import (
    BroadcastFeedbackEvent,
    BroadcastMessage,
    BroadcastSuppression,
    BroadcastTrackingEvent,
)
from flask_broadcasts.services.suppressions import suppress
from tests.support.reports import add_customers, api_get, path_of, received, send, tracked_campaign
from tests.support.smtp import SmtpServer

FAILED = ("refused", "suppressed", "bounced", "undelivered")


def _count(*where: Any) -> int:
    return get_state().session.execute(select(func.count()).select_from(BroadcastMessage).where(*where)).scalar_one()


def _events(**where: Any) -> list[BroadcastTrackingEvent]:
    query = select(BroadcastTrackingEvent).filter_by(**where)
    return list(get_state().session.execute(query).scalars())


def _message_of(address: str) -> BroadcastMessage:
    return get_state().session.execute(select(BroadcastMessage).filter_by(email=address)).scalar_one()


def _report(client: FlaskClient, tenant: Any, cid: str) -> dict[str, Any]:
    response = api_get(client, tenant, f"broadcast-campaigns/{cid}/report")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert (data["type"], data["id"]) == ("broadcast-campaign-reports", cid)
    same = api_get(client, tenant, f"broadcast-campaign-reports/{cid}").get_json()["data"]
    assert same["attributes"]["channels"] == data["attributes"]["channels"]
    return data["attributes"]


def test_the_report_equals_the_tables(
    app: Flask, client: FlaskClient, tenant: Any, other_tenant: Any, mail_server: SmtpServer, run_queue: Queue
) -> None:
    get_state().settings.tracking_machine_seconds = 0  # the test's clicks come at once; machine rules apart
    people = [f"ada{i}@example.com" for i in range(6)]
    add_customers(
        tenant,
        [*people, "refuse1@example.com", "refuse2@example.com", "nosuchuser@example.com", "blocked@example.com", None],
    )
    suppress(str(tenant.id), "mail", "blocked@example.com", "manual", {"kind": "user", "id": None})
    cid = tracked_campaign(client, tenant)
    send(client, tenant, cid, run_queue)

    mails = received(mail_server)
    assert sorted(mails) == people
    ada0 = mails["ada0@example.com"]
    # Only http(s) links of the HTML part go through the redirect; the footer/unsubscribe,
    # mailto and relative links stay; the text part is untouched.
    assert len(ada0.clicks) == 2  # the body's link and the call to action
    assert "mailto:help@example.com" in ada0.hrefs and "/relative" in ada0.hrefs
    assert any("/broadcast-unsubscribe/" in href for href in ada0.hrefs)
    assert "Open: https://example.com/cta" in ada0.text and "/broadcast-t/" not in ada0.text
    assert ada0.pixel is not None

    # Feedback: delivered (2), a hard bounce, a soft bounce, a complaint; an unsubscribe.
    def feedback(address: str, kind: FeedbackKind, key: str) -> None:
        apply_event(FeedbackEvent("ses", kind, key, message_id=_message_of(address).id, address=address))

    feedback("ada0@example.com", FeedbackKind.DELIVERED, "d0")
    feedback("ada1@example.com", FeedbackKind.DELIVERED, "d1")
    feedback("ada1@example.com", FeedbackKind.DELIVERED, "d1")  # the same report again: nothing more
    feedback("ada2@example.com", FeedbackKind.HARD_BOUNCE, "h2")
    feedback("ada3@example.com", FeedbackKind.SOFT_BOUNCE, "s3")
    feedback("ada4@example.com", FeedbackKind.COMPLAINT, "c4")
    unsubscribe = next(href for href in mails["ada5@example.com"].hrefs if "/broadcast-unsubscribe/" in href)
    assert client.post(path_of(unsubscribe), data={"List-Unsubscribe": "One-Click"}).status_code == 200

    # Opens: ada0 twice, ada1 once, ada3 by HEAD (machine). Clicks: ada0 both links, link 0 twice.
    for address in ("ada0@example.com", "ada0@example.com", "ada1@example.com"):
        answer = client.get(path_of(mails[address].pixel))
        assert (answer.status_code, answer.mimetype) == (200, "image/gif")
        assert answer.data.startswith(b"GIF89a")
    assert client.head(path_of(mails["ada3@example.com"].pixel)).status_code == 200
    first, second = ada0.clicks
    for url in (first, first, second):
        assert client.get(path_of(url)).status_code == 302
    assert client.get(path_of(first)).headers["Location"] == "https://example.com/a?u=C0&x=1"
    assert client.get(path_of(second)).headers["Location"] == "https://example.com/cta"
    assert client.get(path_of(mails["ada1@example.com"].clicks[1])).status_code == 302

    report = _report(client, tenant, cid)
    mail = report["channels"]["mail"]
    session = get_state().session
    statuses = Counter(
        dict(
            session.execute(
                select(BroadcastMessage.mail_status, func.count())
                .where(BroadcastMessage.mail_status.is_not(None))
                .group_by(BroadcastMessage.mail_status)
            ).all()
        )
    )
    failures = Counter(
        dict(
            session.execute(
                select(func.coalesce(BroadcastMessage.error_code, BroadcastMessage.mail_status), func.count())
                .where(BroadcastMessage.mail_status.in_(FAILED))
                .group_by(func.coalesce(BroadcastMessage.error_code, BroadcastMessage.mail_status))
            ).all()
        )
    )
    feedback_kinds = Counter(session.execute(select(BroadcastFeedbackEvent.kind)).scalars())
    assert mail["total"] == sum(statuses.values()) == 10
    assert (
        mail["failed"] == sum(statuses[s] for s in FAILED) == 5
    )  # 2 refused, 1 bounced at send, 1 suppressed, 1 bounced
    assert mail["sent"] == mail["total"] - mail["failed"]
    assert mail["delivered"] == statuses["delivered"] == 2
    assert mail["suppressed"] == statuses["suppressed"] == 1
    assert {f["error_code"]: f["count"] for f in mail["failures"]} == dict(failures)
    assert dict(failures) == {"refused": 2, "bounced": 2, "suppressed": 1}
    assert (
        mail["bounced"]
        == {"hard": statuses["bounced"], "soft": feedback_kinds["soft_bounce"]}
        == {"hard": 2, "soft": 1}
    )
    assert mail["complained"] == _count(BroadcastMessage.error_code == "complained") == 1
    unsubscribed = session.execute(
        select(func.count()).select_from(BroadcastSuppression).filter_by(reason="unsubscribed")
    ).scalar_one()
    assert mail["unsubscribed"] == unsubscribed == 1

    opens = _events(kind="open")
    human_opens = [e for e in opens if not e.machine]
    assert (
        mail["opened"]
        == {
            "unique": len({e.message_id for e in human_opens}),
            "total": len(human_opens),
            "machine": len(opens) - len(human_opens),
        }
        == {"unique": 2, "total": 3, "machine": 1}
    )
    clicks = [e for e in _events(kind="click") if not e.machine]
    assert mail["clicked"] == {"unique": len({e.message_id for e in clicks}), "total": len(clicks), "machine": 0}
    per_link = Counter(e.link_index for e in clicks)
    assert [(link["index"], link["clicks"]) for link in mail["links"]] == sorted(
        per_link.items(), key=lambda kv: -kv[1]
    )
    assert mail["links"][0]["url"] == "https://example.com/a?u={first_name}&x=1"
    assert {link["index"]: link["unique"] for link in mail["links"]} == {0: 1, 1: 2}

    hourly = report["hourly"]
    # Handed over (sent_at), whatever came after (ada2 bounced later).
    assert sum(h["sent"] for h in hourly) == _count(BroadcastMessage.sent_at.is_not(None)) == 6
    assert sum(h["delivered"] for h in hourly) == 2
    assert sum(h["opened"] for h in hourly) == len(human_opens)
    assert sum(h["clicked"] for h in hourly) == len(clicks)
    campaign = api_get(client, tenant, f"broadcast-campaigns/{cid}").get_json()["data"]["attributes"]
    (run,) = report["runs"]
    assert (run["total"], run["sent"], run["failed"], run["delivered"], run["bounced"], run["complained"]) == (
        campaign["total_count"],
        campaign["sent_count"],
        campaign["failed_count"],
        campaign["delivered_count"],
        campaign["bounced_count"],
        campaign["complained_count"],
    )
    assert report["opens_are_estimate"] is True and report["channels"]["sms"]["opened"] is None

    # Another organization: 404 on both URLs.
    assert api_get(client, other_tenant, f"broadcast-campaigns/{cid}/report").status_code == 404
    assert api_get(client, other_tenant, f"broadcast-campaign-reports/{cid}").status_code == 404


def test_tracking_is_off_by_default(
    app: Flask, client: FlaskClient, tenant: Any, mail_server: SmtpServer, run_queue: Queue
) -> None:
    add_customers(tenant, ["ann@example.com"])
    cid = tracked_campaign(client, tenant, opens=False, clicks=False)
    attributes = api_get(client, tenant, f"broadcast-campaigns/{cid}").get_json()["data"]["attributes"]
    assert (attributes["track_opens"], attributes["track_clicks"]) == (False, False)
    send(client, tenant, cid, run_queue)
    mail = received(mail_server)["ann@example.com"]
    assert mail.pixel is None and mail.clicks == []
    assert "https://example.com/a?u=C0&x=1" in mail.hrefs
    report = _report(client, tenant, cid)
    assert report["channels"]["mail"]["opened"] is None and report["channels"]["mail"]["clicked"] is None
    assert report["channels"]["mail"]["sent"] == 1
