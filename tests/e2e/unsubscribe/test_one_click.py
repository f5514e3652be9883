"""One-click unsubscribe end to end: real worker processes, a real SMTP server, the app on a real
HTTP server, 300 recipients in batches of 50.

What a recipient (or their mail provider) does: POST the ``List-Unsubscribe`` link with no
cookie and no credentials; what a link scanner does: GET it; what an attacker does: alter it
or replay an old one. What sending then does: skip the address in every batch claimed after
the unsubscribe commits, for that organization only.
"""

from __future__ import annotations

import datetime as dt
import re

import requests
import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.unsubscribe import public_prefix, unsubscribe_url
from flask_broadcasts.models import (
    BroadcastAudience,
    BroadcastCampaign,
    BroadcastMessage,
    BroadcastSuppression,
    BroadcastTemplate,
)
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers
from tests.support.processes import run_workers
from tests.support.unsubscribe import aged_token, http_server, local_path, one_click_url, token_of

PUBLIC = "https://app.example.test/api/broadcast-unsubscribe/"
OTHER_ORG = "org-2"


def _suppressions(address: str | None = None) -> list[tuple[str, str, str, str, str | None]]:
    from tests.support.hostapp import db

    db.session.rollback()
    stmt = sa.select(
        BroadcastSuppression.organization_id,
        BroadcastSuppression.channel,
        BroadcastSuppression.address,
        BroadcastSuppression.reason,
        BroadcastSuppression.source_id,
    ).order_by(BroadcastSuppression.id)
    if address is not None:
        stmt = stmt.where(BroadcastSuppression.address == address)
    return [tuple(row) for row in db.session.execute(stmt)]


def _by_recipient(smtp) -> dict[str, object]:
    return {m.rcpt_tos[0]: m.message for m in smtp.received}


def test_one_click_unsubscribe_through_real_processes(app, env, smtp):
    from tests.support.hostapp import Booking, Community, community_members, db

    seed_customers(300)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    # The run is stored (in progress, nothing sent yet); its send jobs wait in the queue.
    assert materialize_run(campaign_id, "once", "test-materializer") == 300
    last = (
        db.session.execute(
            sa.select(BroadcastMessage)
            .where(BroadcastMessage.campaign_id == campaign_id)
            .order_by(BroadcastMessage.id.desc())
        )
        .scalars()
        .first()
    )
    assert last.email == "c300@example.test" and last.channels == ["mail"]
    last_link = unsubscribe_url(last, "mail", base=public_prefix(get_state().settings))

    with http_server(app) as base:
        # The last message's recipient unsubscribes while the run is in progress: a provider's
        # one-click POST, no cookie, no Authorization.
        answer = requests.post(
            base + local_path(last_link), data={"List-Unsubscribe": "One-Click"}, timeout=10, allow_redirects=False
        )
        assert answer.status_code == 200
        assert _suppressions() == [(ORG, "mail", "c300@example.test", "unsubscribed", str(last.id))]

        outputs = run_workers(env, count=2)
        row = campaign_row(campaign_id)
        assert row.status == "completed", outputs
        assert (row.total_count, row.sent_count, row.failed_count, row.suppressed_count) == (300, 299, 1, 1)
        received = _by_recipient(smtp)
        assert len(smtp.received) == 299 and "c300@example.test" not in received
        db.session.rollback()
        last = db.session.get(BroadcastMessage, last.id)
        assert (last.status, last.error_code, last.channels, last.mail_status) == (
            "failed",
            "suppressed",
            [],
            "suppressed",
        )

        # Every e-mail carries its own link (ids only: no address in it), the RFC 8058 field and a List-Id.
        links = {}
        for address, message in received.items():
            link = one_click_url(message)
            assert link.startswith(PUBLIC) and "@" not in link and "example.test/api/" in link
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert message["List-Id"] == '"org-1" <org-org-1.acme.test>'
            links[address] = link
        assert len(set(links.values())) == 299
        # The template has no {unsubscribe_url}: a footer link is appended to both bodies.
        first = received["c1@example.test"]
        html_part, text_part = _parts(first)
        assert f'href="{links["c1@example.test"]}"' in html_part and ">Unsubscribe</a>" in html_part
        assert f"Unsubscribe: {links['c1@example.test']}" in text_part

        # A link scanner (or a person) GETs the link: a page with one button, nothing recorded.
        path = local_path(links["c1@example.test"])
        page = requests.get(base + path, timeout=10)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "Unsubscribe from org-1" in page.text
        assert re.search(r'<form method="post" action="[^"]+">', page.text)
        assert 'name="via" value="page"' in page.text and "<script" not in page.text
        assert _suppressions("c1@example.test") == []

        # The page's button (multipart here, no One-Click field), then a provider's repeat: one row.
        for _attempt in range(2):
            clicked = requests.post(base + path, files={"via": (None, "page")}, timeout=10)
            assert clicked.status_code == 200 and "You are unsubscribed" in clicked.text
        again = requests.post(base + path, data={"List-Unsubscribe": "One-Click"}, timeout=10)
        assert again.status_code == 200
        assert len(_suppressions("c1@example.test")) == 1

        # Forged, altered, another kind's, or expired: 400, and nothing recorded.
        before = _suppressions()
        secret = app.config["SECRET_KEY"]
        c2 = token_of(links["c2@example.test"])
        c2_id = _message_id(campaign_id, "c2@example.test")
        forged = [
            # An altered signature (not its last character: base64's padding bits there can decode alike).
            c2[:-5] + ("A" if c2[-5] != "A" else "B") + c2[-4:],
            c2.replace(".", "x", 1),
            "not-a-token",
            aged_token("another-key", [ORG, "mail", c2_id], 0),  # signed with another key
        ]
        for bad in forged:
            for method in (requests.get, requests.post):
                answer = method(f"{base}/api/broadcast-unsubscribe/{bad}", timeout=10)
                assert answer.status_code == 400, bad
        # A link stays valid 90 days from the e-mail's sending, whenever its token was signed.
        young = aged_token(secret, [ORG, "mail", c2_id], 3600)
        sent_at = _sent_at(c2_id)
        _set_sent_at(c2_id, sent_at - dt.timedelta(days=91))
        for method in (requests.get, requests.post):
            assert method(f"{base}/api/broadcast-unsubscribe/{young}", timeout=10).status_code == 400
        _set_sent_at(c2_id, sent_at)
        # A genuine, young token of message 2 still works after all that.
        assert _suppressions() == before
        assert requests.post(f"{base}/api/broadcast-unsubscribe/{young}", timeout=10).status_code == 200
        assert len(_suppressions()) == len(before) + 1

        # A body above the cap is refused before anything is read.
        huge = requests.post(base + local_path(links["c3@example.test"]), data={"x": "y" * 10_000}, timeout=10)
        assert huge.status_code == 413
        assert _suppressions("c3@example.test") == []

    # Then: the same address in another organization still gets that organization's mail, and
    # the other audience types of this one carry the headers too (one run of the workers).
    other = _other_organization_campaign()
    community = Community(organization_id=ORG, name="Club")
    db.session.add(community)
    db.session.flush()
    db.session.execute(
        sa.insert(community_members), [{"community_id": community.id, "customer_id": i} for i in range(4, 16)]
    )
    db.session.add_all([Booking(organization_id=ORG, customer_id=i, date=dt.date(2026, 3, 1)) for i in range(1, 6)])
    db.session.commit()
    placed = make_campaign(audience_type="bookings")
    template_id = db.session.get(BroadcastCampaign, placed).template_id
    db.session.get(
        BroadcastTemplate, template_id
    ).body = '<p>Hi {first_name}</p><p><a href="{unsubscribe_url}">Stop these e-mails</a></p>'
    db.session.commit()
    footer = make_campaign(audience_type="community", community_id=str(community.id))
    smtp.received.clear()
    for organization_id, started in ((OTHER_ORG, other), (ORG, placed), (ORG, footer)):
        start_campaign(organization_id, started)
    outputs = run_workers(env, count=1)
    figures = {c: campaign_row(c) for c in (other, placed, footer)}
    assert all(row.status == "completed" for row in figures.values()), outputs
    # Bookings of c1..c5: c1 and c2 unsubscribed above, left out when the run stored its messages.
    assert [(r.total_count, r.sent_count, r.failed_count, r.suppressed_count) for r in figures.values()] == [
        (1, 1, 0, 0),
        (5, 3, 2, 2),
        (12, 12, 0, 0),
    ]
    by_campaign: dict[int, list] = {other: [], placed: [], footer: []}
    for received in smtp.received:
        message = received.message
        by_campaign[int(message["Message-ID"].split(".")[1])].append(message)
        assert one_click_url(message).startswith(PUBLIC)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [m["To"] for m in by_campaign[other]] == ["c1@example.test"]
    assert by_campaign[other][0]["List-Id"] == '"org-2" <org-org-2.acme.test>'
    assert sorted(m["To"] for m in by_campaign[placed]) == ["c3@example.test", "c4@example.test", "c5@example.test"]
    for message in by_campaign[placed]:
        assert message["List-Id"] == '"org-1" <org-org-1.acme.test>'
        html_part, _ = _parts(message)
        # The template placed the link: it is filled in there, and no footer is added.
        assert f'<a href="{one_click_url(message)}">Stop these e-mails</a>' in html_part
        assert ">Unsubscribe</a>" not in html_part and "{unsubscribe_url}" not in html_part
    assert len(by_campaign[footer]) == 12
    for message in by_campaign[footer]:
        assert f'href="{one_click_url(message)}"' in _parts(message)[0]


def _other_organization_campaign() -> int:
    """A campaign of another organization to c1's address (suppressed in ORG, not there)."""
    from tests.support.hostapp import Customer, db

    db.session.execute(
        sa.insert(Customer),
        [{"organization_id": OTHER_ORG, "first_name": "Zed", "last_name": "Lee", "email": "c1@example.test"}],
    )
    template = BroadcastTemplate(
        organization_id=OTHER_ORG, name="T", subject="From B", body="<p>Hi {first_name}</p>", channels=["mail"]
    )
    audience = BroadcastAudience(organization_id=OTHER_ORG, name="A", audience_type="customers", filters={})
    db.session.add_all([template, audience])
    db.session.flush()
    other = BroadcastCampaign(organization_id=OTHER_ORG, name="B", template_id=template.id, audience_id=audience.id)
    db.session.add(other)
    db.session.commit()
    return other.id


def _message_id(campaign_id: int, address: str) -> int:
    from tests.support.hostapp import db

    return db.session.execute(
        sa.select(BroadcastMessage.id).where(
            BroadcastMessage.campaign_id == campaign_id, BroadcastMessage.email == address
        )
    ).scalar_one()


def _sent_at(message_id: int) -> dt.datetime:
    from tests.support.hostapp import db

    return db.session.execute(sa.select(BroadcastMessage.sent_at).where(BroadcastMessage.id == message_id)).scalar_one()


def _set_sent_at(message_id: int, sent_at: dt.datetime) -> None:
    from tests.support.hostapp import db

    db.session.execute(sa.update(BroadcastMessage).where(BroadcastMessage.id == message_id).values(sent_at=sent_at))
    db.session.commit()


def _parts(message) -> tuple[str, str]:
    html_part = text_part = ""
    for part in message.walk():
        if part.get_content_type() == "text/html":
            html_part = part.get_payload(decode=True).decode()
        elif part.get_content_type() == "text/plain":
            text_part = part.get_payload(decode=True).decode()
    return html_part, text_part
