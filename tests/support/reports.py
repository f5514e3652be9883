"""A tracked campaign sent over real SMTP on loopback through the example app's API, and
what the received e-mails carry (its tracked links, its pixel)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from rq import Queue, SimpleWorker

from example_app.extensions import db
from example_app.models import Customer
from tests.support.smtp import SmtpServer

JSONAPI = "application/vnd.api+json"
PUBLIC = "https://app.example.test"
BODY = (
    '<p>Hi {first_name}</p><p><a href="https://example.com/a?u={first_name}&amp;x=1">Read</a> '
    '<a href="mailto:help@example.com">Mail us</a> <a href="/relative">Relative</a> '
    '<a href="{unsubscribe_url}">Leave</a></p>'
)


def api_post(client: FlaskClient, tenant: Any, path: str, data: dict) -> dict:
    response = client.post(
        f"/api/{path}?o={tenant.id}", json={"data": data}, headers={**tenant.headers, "Content-Type": JSONAPI}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def api_get(client: FlaskClient, tenant: Any, path: str, **params: Any) -> Any:
    return client.get(f"/api/{path}", query_string={"o": tenant.id, **params}, headers=tenant.headers)


def add_customers(tenant: Any, emails: list[str | None]) -> None:
    db.session.add_all(
        Customer(
            organization_id=tenant.id,
            first_name=f"C{i}",
            last_name="X",
            email=email,
            mobile=None,
            locale="en",
            status="active",
        )
        for i, email in enumerate(emails)
    )
    db.session.commit()


def tracked_campaign(client: FlaskClient, tenant: Any, *, opens: bool = True, clicks: bool = True) -> str:
    """A draft campaign of the tenant's active customers, with tracking as asked; its id."""
    template = api_post(
        client,
        tenant,
        "broadcast-templates",
        {
            "type": "broadcast-templates",
            "attributes": {
                "name": "News",
                "subject": "News for {first_name}",
                "body": BODY,
                "channels": ["mail"],
                "action_label": "Open",
                "action_url": "https://example.com/cta",
            },
        },
    )
    audience = api_post(
        client,
        tenant,
        "broadcast-audiences",
        {
            "type": "broadcast-audiences",
            "attributes": {"name": "All", "audience_type": "customers", "filters": {"status": "active"}},
        },
    )
    campaign = api_post(
        client,
        tenant,
        "broadcast-campaigns",
        {
            "type": "broadcast-campaigns",
            "attributes": {"name": "Tracked", "track_opens": opens, "track_clicks": clicks},
            "relationships": {
                "template": {"data": {"type": "broadcast-templates", "id": template["id"]}},
                "audience": {"data": {"type": "broadcast-audiences", "id": audience["id"]}},
            },
        },
    )
    return campaign["id"]


def send(client: FlaskClient, tenant: Any, campaign_id: str, queue: Queue) -> None:
    started = api_get(client, tenant, f"broadcast-campaigns/{campaign_id}/start")
    assert started.status_code == 200, started.get_json()
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    failed = queue.failed_job_registry
    assert not failed.get_job_ids(), [queue.fetch_job(j).exc_info for j in failed.get_job_ids()]
    done = api_get(client, tenant, f"broadcast-campaigns/{campaign_id}").get_json()["data"]["attributes"]
    assert done["status"] == "completed", done


@dataclass
class Received:
    """One received e-mail's parts and the tracking URLs of its HTML part."""

    to: str
    html: str
    text: str

    @property
    def hrefs(self) -> list[str]:
        return [m.replace("&amp;", "&") for m in re.findall(r'<a\b[^>]*\shref="([^"]*)"', self.html)]

    @property
    def clicks(self) -> list[str]:
        return [href for href in self.hrefs if "/broadcast-t/c/" in href]

    @property
    def pixel(self) -> str | None:
        found = re.search(r'<img src="([^"]*broadcast-t/o/[^"]*)"', self.html)
        return found.group(1).replace("&amp;", "&") if found else None


def received(server: SmtpServer) -> dict[str, Received]:
    out = {}
    for item in server.received:
        message = item.message
        parts = {
            part.get_content_type(): part.get_payload(decode=True).decode()
            for part in message.walk()
            if not part.is_multipart()
        }
        out[item.rcpt_tos[0]] = Received(item.rcpt_tos[0], parts["text/html"], parts["text/plain"])
    return out


def path_of(url: str) -> str:
    """The app-relative path of a public URL (the test client has no host)."""
    assert url.startswith(PUBLIC), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
