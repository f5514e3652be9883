"""A tracked e-mail end to end: sent by a worker to a real SMTP server on loopback, its
pixel and links followed over HTTP through the example app on a real server, and the
campaign's report (over HTTP too) changing with each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from rq import Queue
from sqlalchemy import update

from flask_broadcasts import get_state
from flask_broadcasts.models import BroadcastMessage, utcnow
from tests.support.reports import JSONAPI, add_customers, received, send, tracked_campaign
from tests.support.smtp import SmtpServer
from tests.support.unsubscribe import http_server


def test_a_tracked_mail_followed_through_the_web_app(
    app: Flask, tenant: Any, mail_server: SmtpServer, run_queue: Queue
) -> None:
    add_customers(tenant, ["ann@example.com", "bob@example.com"])
    client = app.test_client()
    cid = tracked_campaign(client, tenant)
    send(client, tenant, cid, run_queue)
    session = get_state().session
    # Read a minute after it arrived (within BROADCASTS_TRACKING_MACHINE_SECONDS a scanner is assumed).
    session.execute(update(BroadcastMessage).values(sent_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    ann = received(mail_server)["ann@example.com"]
    assert ann.pixel and len(ann.clicks) == 2

    with http_server(app) as base:

        def over_http(url: str, **kwargs: Any) -> requests.Response:
            parts = urlsplit(url)
            local = base + parts.path + (f"?{parts.query}" if parts.query else "")
            return requests.get(local, allow_redirects=False, timeout=10, **kwargs)

        def mail_report() -> dict[str, Any]:
            answer = requests.get(
                f"{base}/api/broadcast-campaigns/{cid}/report",
                params={"o": tenant.id},
                headers={"Authorization": f"Bearer {tenant.token}", "Accept": JSONAPI},
                timeout=10,
            )
            assert answer.status_code == 200, answer.text
            return answer.json()["data"]["attributes"]["channels"]["mail"]

        before = mail_report()
        assert before["sent"] == 2
        assert before["opened"] == {"unique": 0, "total": 0, "machine": 0}

        pixel = over_http(ann.pixel)
        assert (pixel.status_code, pixel.headers["Content-Type"]) == (200, "image/gif")
        assert pixel.headers["Cache-Control"].startswith("no-store")
        assert mail_report()["opened"] == {"unique": 1, "total": 1, "machine": 0}

        body_link, call_to_action = ann.clicks
        followed = over_http(body_link)
        assert (followed.status_code, followed.headers["Location"]) == (302, "https://example.com/a?u=C0&x=1")
        assert over_http(call_to_action).headers["Location"] == "https://example.com/cta"
        after = mail_report()
        assert after["clicked"] == {"unique": 1, "total": 2, "machine": 0}
        assert [(link["index"], link["clicks"]) for link in after["links"]] == [(0, 1), (1, 1)]

        # A scanner's HEAD counts apart; a tampered link is a 400 and changes nothing.
        assert requests.head(base + urlsplit(body_link).path, timeout=10).status_code == 302
        assert over_http(body_link[:-3] + "xyz").status_code == 400
        final = mail_report()
        assert final["clicked"] == {"unique": 1, "total": 2, "machine": 1}
