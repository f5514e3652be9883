"""The dashboard in real headless Chromium: only the websocket can move the bar.

After the page has read the campaign list once, every REST read of campaigns (the list
and single campaigns) is aborted by the browser itself (Playwright ``page.route``). The
test clicks Start and waits for the bar to reach 100 % with the database's final counts.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from example_app.extensions import db
from example_app.seed import seed
from flask_broadcasts.models import BroadcastCampaign
from tests.support.browser import Stack

JSONAPI = "application/vnd.api+json"
CUSTOMERS = 300
#: Seconds the whole send may take in the browser.
SEND_TIMEOUT = 40


def create(stack: Stack, organization: dict[str, Any], path: str, data: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(
        f"{stack.base_url}/api/{path}?o={organization['id']}",
        data=json.dumps({"data": data}),
        timeout=10,
        headers={"Authorization": f"Bearer {organization['token']}", "Content-Type": JSONAPI, "Accept": JSONAPI},
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def make_campaign(stack: Stack, organization: dict[str, Any]) -> str:
    template = create(
        stack,
        organization,
        "broadcast-templates",
        {
            "type": "broadcast-templates",
            "attributes": {
                "name": "Spring",
                "subject": "Hello {first_name}",
                "body": "<p>Hi {first_name}</p>",
                "channels": ["mail"],
            },
        },
    )
    audience = create(
        stack,
        organization,
        "broadcast-audiences",
        {
            "type": "broadcast-audiences",
            "attributes": {"name": "Everyone", "audience_type": "customers", "filters": {}},
        },
    )
    campaign = create(
        stack,
        organization,
        "broadcast-campaigns",
        {
            "type": "broadcast-campaigns",
            "attributes": {"name": "Spring sale"},
            "relationships": {
                "template": {"data": {"type": "broadcast-templates", "id": template["id"]}},
                "audience": {"data": {"type": "broadcast-audiences", "id": audience["id"]}},
            },
        },
    )
    return campaign["id"]


def is_campaign_read(url: str) -> bool:
    """``GET /api/broadcast-campaigns`` or ``/api/broadcast-campaigns/<id>``: what polling would fetch."""
    parts = urlsplit(url).path.strip("/").split("/")
    return parts[:2] == ["api", "broadcast-campaigns"] and len(parts) <= 3


# Records every percent the bar shows, in order, from the moment it is installed.
RECORD_PERCENTS = """(id) => {
  const bar = document.getElementById("campaign-" + id + "-bar");
  window.percentsSeen = [bar.dataset.percent];
  new MutationObserver((records) => records.forEach((r) => window.percentsSeen.push(r.target.dataset.percent)))
    .observe(bar, { attributes: true, attributeFilter: ["data-percent"] });
}"""


def test_the_bar_reaches_100_percent_over_the_websocket_alone(browser, app, stack: Stack) -> None:
    organization = seed(CUSTOMERS)["organizations"][0]
    campaign_id = make_campaign(stack, organization)

    blocked: list[str] = []
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    try:
        page.goto(f"{stack.base_url}/dashboard#o={organization['id']}&token={organization['token']}")
        row = page.locator(f"#campaign-{campaign_id}")
        row.wait_for(timeout=15_000)
        page.wait_for_function("document.getElementById('connection-status').dataset.state === 'live'", timeout=15_000)
        assert row.get_attribute("data-status") == "draft"

        # From here on, no REST read of campaigns gets through: only the socket can move the bar.
        def abort(route, request) -> None:  # type: ignore[no-untyped-def]
            if request.method == "GET":
                blocked.append(request.url)
                route.abort()
            else:
                route.continue_()

        page.route(is_campaign_read, abort)
        page.evaluate(RECORD_PERCENTS, campaign_id)

        row.locator("[data-action=start]").click()
        page.wait_for_function(
            """(id) => {
              const row = document.getElementById("campaign-" + id);
              return row.dataset.status === "completed"
                  && document.getElementById("campaign-" + id + "-bar").dataset.percent === "100";
            }""",
            arg=campaign_id,
            timeout=SEND_TIMEOUT * 1000,
        )
        shown = {
            name: int(page.inner_text(f"#campaign-{campaign_id}-{name}"))
            for name in ("sent-count", "failed-count", "total-count")
        }
        percents = page.evaluate("window.percentsSeen")
        events = page.evaluate("window.broadcastsDashboard.eventsReceived")

        db.session.rollback()
        stored = db.session.execute(
            sa.select(
                BroadcastCampaign.sent_count,
                BroadcastCampaign.failed_count,
                BroadcastCampaign.total_count,
                BroadcastCampaign.status,
            ).where(BroadcastCampaign.id == int(campaign_id))
        ).one()
        assert stored.status == "completed"
        assert shown == {
            "sent-count": stored.sent_count,
            "failed-count": stored.failed_count,
            "total-count": stored.total_count,
        }
        assert stored.total_count == CUSTOMERS and stored.sent_count > 0
        assert stack.smtp.count() == stored.sent_count
        # The bar moved on the way: progress events, not just the final state.
        assert any(0 < int(p) < 100 for p in percents), percents
        assert events >= 2
        # The page read nothing over REST once loaded (it would have been refused anyway).
        assert blocked == []
    except Exception:
        shot = Path(tempfile.mkdtemp(prefix="dashboard-test-")) / "dashboard-failure.png"
        page.screenshot(path=str(shot), full_page=True)
        pytest.fail(
            f"screenshot: {shot}\nblocked requests: {blocked}\nbrowser console:\n"
            + "\n".join(console)
            + "\n"
            + stack.logs(),
        )
    finally:
        page.close()
