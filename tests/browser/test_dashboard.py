"""The operator dashboard in real headless Chromium, over the example product's real processes.

One test walks the seed workflow through the page the way an operator does — sign in with the
keyboard, a template (a field error, a translation), an audience whose member count follows its
filters, a campaign, its preview per locale, a test send, start, pause and resume, the run completing live,
a 409 in words, the report panel, a failed message found by its address, keyset paging — then
a template whose body carries ``<script>`` and ``onerror=`` (nothing runs), text that looks like
HTML (shown as text), another organization's ids (not found) and a phone's width.

While the run goes, every REST read of campaigns is aborted by the browser (Playwright
``page.route``): only the websocket can move the bar. Console errors fail the test; the only
messages allowed are the browser's notes about the API's own 4xx answers and about the scripts
the preview's sandbox blocked (which the test expects). With ``BROADCASTS_SCREENSHOTS=<dir>``
(``make screenshots``) it saves a screenshot of each page there.
"""

from __future__ import annotations

import json
import os
import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from example_app.extensions import db
from example_app.models import Customer
from example_app.seed import seed
from flask_broadcasts.models import BroadcastCampaign, BroadcastMessage
from tests.support.browser import Stack

JSONAPI = "application/vnd.api+json"
CUSTOMERS = 90
REFUSED = "refuse.ada@example.com"
#: Seconds the whole send may take in the browser.
SEND_TIMEOUT = 40
#: Slow enough (messages per second) to pause the run before it ends.
MAIL_RATE = 30
SCREENSHOTS = os.environ.get("BROADCASTS_SCREENSHOTS")
XSS_BODY = (
    '<p id="tenant">Hello {first_name}</p>'
    '<script>document.body.dataset.ran = "script"; parent.document.body.dataset.xss = "script";</script>'
    "<img src=\"x\" onerror=\"document.body.dataset.ran = 'onerror'; parent.document.body.dataset.xss = 'onerror'\">"
)


@pytest.fixture
def stack_env() -> dict[str, str]:
    return {"BROADCASTS_RATE_LIMITS": json.dumps({"mail": MAIL_RATE})}


def api(stack: Stack, organization: dict[str, Any], method: str, path: str, data: dict[str, Any] | None = None) -> Any:
    response = requests.request(
        method,
        f"{stack.base_url}/api/{path}?o={organization['id']}",
        data=json.dumps({"data": data}) if data is not None else None,
        timeout=10,
        headers={"Authorization": f"Bearer {organization['token']}", "Content-Type": JSONAPI, "Accept": JSONAPI},
    )
    assert response.ok, response.text
    return response.json()["data"]


def other_organization_ids(stack: Stack, organization: dict[str, Any]) -> dict[str, str]:
    template = api(
        stack,
        organization,
        "POST",
        "broadcast-templates",
        {
            "type": "broadcast-templates",
            "attributes": {"name": "Theirs", "subject": "S", "body": "<p>B</p>", "channels": ["mail"]},
        },
    )
    audience = api(
        stack,
        organization,
        "POST",
        "broadcast-audiences",
        {"type": "broadcast-audiences", "attributes": {"name": "Theirs", "audience_type": "customers", "filters": {}}},
    )
    campaign = api(
        stack,
        organization,
        "POST",
        "broadcast-campaigns",
        {
            "type": "broadcast-campaigns",
            "attributes": {"name": "Theirs"},
            "relationships": {
                "template": {"data": {"type": "broadcast-templates", "id": template["id"]}},
                "audience": {"data": {"type": "broadcast-audiences", "id": audience["id"]}},
            },
        },
    )
    return {"templates": template["id"], "audiences": audience["id"], "campaigns": campaign["id"]}


def is_campaign_read(url: str) -> bool:
    """``GET /api/broadcast-campaigns`` or ``/api/broadcast-campaigns/<id>``: what polling would fetch."""
    parts = urlsplit(url).path.strip("/").split("/")
    return parts[:2] == ["api", "broadcast-campaigns"] and len(parts) <= 3


def stored_count(stmt: Any) -> int:
    db.session.rollback()
    return db.session.scalar(stmt)


class Console:
    """What the page said: errors fail the test, except the browser's notes on expected answers."""

    ALLOWED = re.compile(r"Failed to load resource: the server responded with a status of (404|405|409|422)")
    SANDBOX = re.compile(r"Blocked script execution in 'about:srcdoc'")
    PREVIEW_CSP = re.compile(r"violates the following Content Security Policy directive.*The action has been blocked")

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.blocked_scripts: list[str] = []
        self.blocked_in_preview: list[str] = []
        self.server_errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("response", lambda r: self.server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)

    def _console(self, message: Any) -> None:
        if message.type not in ("error", "warning"):
            return
        if self.SANDBOX.search(message.text):
            self.blocked_scripts.append(message.text)
        elif message.location.get("url") == "about:srcdoc" and self.PREVIEW_CSP.search(message.text):
            self.blocked_in_preview.append(message.text)  # the tenant's image of nowhere, refused
        elif not self.ALLOWED.search(message.text) and message.type == "error":
            self.errors.append(message.text)


def until(page: Any, predicate: str, arg: Any = None, timeout: float = 15_000) -> None:
    """Wait until ``predicate`` (a JavaScript function of ``arg``) is true in the page.

    Polled from here with ``page.evaluate`` (a DevTools call, outside the page's CSP):
    Playwright's own ``wait_for_function`` compiles its predicate with ``eval`` inside the
    page, which the dashboard's CSP refuses, as it should.
    """
    if not predicate.lstrip().startswith("("):
        predicate = "() => " + predicate
    deadline = time.monotonic() + timeout / 1000
    while not _holds(page, predicate, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate} ({arg!r})")
        time.sleep(0.05)


def _holds(page: Any, predicate: str, arg: Any) -> bool:
    from playwright.sync_api import Error

    try:
        return bool(page.evaluate(predicate, arg))
    except Error as error:  # an element not there yet (the page is still drawing)
        if "TypeError" not in str(error):
            raise
        return False


def shoot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"dashboard-{name}.png"), full_page=True)


def test_the_seed_workflow_through_the_dashboard(browser, app, stack: Stack) -> None:
    organizations = seed(CUSTOMERS, rng=random.Random(38))["organizations"]
    ours, theirs = organizations
    db.session.add(
        Customer(
            organization_id=ours["id"],
            first_name="Ada",
            last_name="Refused",
            email=REFUSED,
            locale="en",
            status="active",
        )
    )
    db.session.commit()
    foreign = other_organization_ids(stack, theirs)

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    console = Console(page)
    blocked: list[str] = []
    try:
        # -- sign in with the keyboard: the token is typed, never in the URL ------------------
        page.goto(f"{stack.base_url}/dashboard/")
        page.locator("#token").wait_for()
        page.keyboard.type(ours["token"])
        page.keyboard.press("Tab")
        page.keyboard.type(str(ours["id"]))
        page.keyboard.press("Enter")
        until(page, "document.getElementById('connection-status').dataset.state === 'live'", timeout=15_000)
        assert ours["token"] not in page.url
        assert (
            page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie") == "{}{}"
        )

        # -- a template: a field error at its field, then a translation ------------------------
        page.click("nav >> text=Templates")
        page.click("text=New template")
        page.fill("#template-form [name=name]", "Spring")
        page.fill("#template-form [name=subject]", "Hello {first_name}")
        page.fill("#template-form [name=body]", "<p>Hi {first_name}</p>")
        page.click("text=Create template")
        page.wait_for_url(re.compile(r"#/templates/\d+$"))
        template_id = page.url.rsplit("/", 1)[1]
        page.fill("#template-form [name=subject]", "Hello {no_such_variable}")
        subject_error = page.locator('[data-error-for="subject"]')
        subject_error.wait_for(state="visible")
        assert "no_such_variable" in subject_error.inner_text()
        page.fill("#template-form [name=subject]", "Hello {first_name}")
        subject_error.wait_for(state="hidden")
        page.fill('[aria-label="Locale tag"]', "fr")
        page.click("text=Add locale")
        page.fill('[name="subject_i18n.fr"]', "Bonjour {first_name}")
        page.fill('[name="body_i18n.fr"]', "<p>Bonjour {first_name}</p>")
        until(page, "document.getElementById('save-state').dataset.state === 'saved'")
        until(page, "document.getElementById('save-state').textContent === 'Saved.'")

        # -- an audience whose member count follows its filters -------------------------------
        page.click("nav >> text=Audiences")
        page.click("text=New audience")
        page.fill("#audience-form [name=name]", "Active customers")
        page.click("text=Create audience")
        page.wait_for_url(re.compile(r"#/audiences/\d+$"))
        everyone = stored_count(
            sa.select(sa.func.count()).select_from(Customer).where(Customer.organization_id == ours["id"])
        )
        until(page, "(n) => document.getElementById('member-count').textContent === String(n)", arg=everyone)
        page.click("text=Add filter")
        page.keyboard.type("status")
        page.fill(".filter-row >> nth=0 >> .filter-value", "active")
        active = stored_count(
            sa.select(sa.func.count())
            .select_from(Customer)
            .where(Customer.organization_id == ours["id"], Customer.status == "active")
        )
        assert active < everyone
        until(page, "(n) => document.getElementById('member-count').textContent === String(n)", arg=active)
        page.click("text=Add filter")
        page.keyboard.type("colour")
        page.fill(".filter-row >> nth=1 >> .filter-value", "blue")
        page.locator('[data-error-for="filters.colour"]').wait_for(state="visible")
        page.click(".filter-row >> nth=1 >> text=Remove")
        until(page, "document.getElementById('save-state').textContent === 'Saved.'")
        shoot(page, "audience")

        # -- a campaign, and its preview per locale -------------------------------------------
        page.click("nav >> text=Campaigns")
        page.fill("#new-campaign [name=name]", "Spring sale")
        page.locator("#new-campaign [name=template] option", has_text="Spring").wait_for(state="attached")
        page.select_option("#new-campaign [name=template]", template_id)
        page.select_option("#new-campaign [name=audience]", label="Active customers")
        page.click("text=Create campaign")
        row = page.locator(".campaign", has_text="Spring sale")
        row.wait_for()
        campaign_id = row.get_attribute("data-campaign-id")
        row.locator(f"#campaign-{campaign_id}-name").click()
        page.wait_for_url(re.compile(rf"#/campaigns/{campaign_id}$"))
        page.locator("#preview-counts").wait_for()
        assert page.inner_text("#preview-counts").startswith(f"{active} recipients")
        page.click('#campaign-preview button[data-locale="fr"]')
        frame = page.frame_locator("#campaign-preview iframe")
        frame.locator("text=Bonjour").wait_for()
        assert page.inner_text("#preview-subject").startswith("Bonjour ")
        assert page.get_attribute("#campaign-preview iframe", "sandbox") == ""
        page.locator("#report[data-state=unavailable], #report[data-state=shown]").wait_for()
        shoot(page, "campaign-draft")

        # -- start, pause, resume, completed: live, with every REST read of campaigns refused ---
        page.click("nav >> text=Campaigns")
        row = page.locator(f"#campaign-{campaign_id}")
        row.wait_for()
        # A test send first, to the operator's own address, through the real SMTP server.
        row.locator("[data-action=test-send]").click()
        page.keyboard.type("operator@example.com")
        page.keyboard.press("Enter")
        row.locator(".test-results li[data-status=sent]", has_text="operator@example.com").wait_for()
        assert stack.smtp.recipients() == ["operator@example.com"]

        def abort(route, request) -> None:  # type: ignore[no-untyped-def]
            if request.method == "GET":
                blocked.append(request.url)
                route.abort()
            else:
                route.continue_()

        page.route(is_campaign_read, abort)
        row.locator("[data-action=start]").focus()
        page.keyboard.press("Enter")
        until(
            page,
            "(id) => ['pending', 'in-progress'].includes(document.getElementById('campaign-' + id).dataset.status)",
            arg=campaign_id,
        )
        row.locator("[data-action=pause]").click()
        until(page, "(id) => document.getElementById('campaign-' + id).dataset.status === 'paused'", arg=campaign_id)
        held = stack.smtp.count()
        time.sleep(1.0)
        # Each connection hands over at most the message it had in flight.
        assert stack.smtp.count() - held <= 8
        paused_at = stack.smtp.count()
        assert paused_at < active
        shoot(page, "campaigns-paused")
        row.locator("[data-action=resume]").click()
        until(
            page,
            """(id) => document.getElementById("campaign-" + id).dataset.status === "completed"
                && document.getElementById("campaign-" + id + "-bar").dataset.percent === "100" """,
            arg=campaign_id,
            timeout=SEND_TIMEOUT * 1000,
        )
        page.unroute(is_campaign_read)
        assert blocked == []
        db.session.rollback()
        stored = db.session.get(BroadcastCampaign, int(campaign_id))
        assert stored.status == "completed" and stored.total_count == active
        shown = {
            name: int(page.inner_text(f"#campaign-{campaign_id}-{name}")) for name in ("sent-count", "failed-count")
        }
        assert shown == {"sent-count": stored.sent_count, "failed-count": stored.failed_count}
        assert stored.failed_count >= 1  # the refused address, at least
        assert stack.smtp.count() == stored.sent_count + 1  # and the test send
        assert page.evaluate("window.broadcastsDashboard.live.eventsReceived") >= 3

        # The API's 409, in words.
        row.locator("[data-action=pause]").click()
        row.locator(".action-message", has_text="This campaign cannot be paused now: it is completed.").wait_for()
        shoot(page, "campaigns")

        # -- the campaign page: the report panel, a failed message found by its address -------
        row.locator(f"#campaign-{campaign_id}-name").click()
        # The campaign's own report, drawn: its e-mail funnel says what the database says.
        page.locator("#report[data-state=shown]").wait_for()
        funnel = page.eval_on_selector_all(
            "#report .funnel[data-channel=mail] li[data-step]",
            "items => Object.fromEntries(items.map(i => [i.dataset.step, i.querySelector('.funnel-value').textContent]))",
        )
        by_mail = [
            m
            for m in db.session.scalars(sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == stored.id))
            if "mail" in (m.channels or [])
        ]
        assert funnel["total"] == f"{len(by_mail):,}"
        assert funnel["sent"] == f"{sum(m.mail_status == 'sent' for m in by_mail):,}"
        # A dot per hour with messages sent (within one hour: a single point, which a line cannot show).
        hours = {m.sent_at.strftime("%Y-%m-%dT%H") for m in by_mail if m.sent_at is not None}
        assert page.locator("#report-chart circle[data-series=sent]").count() == len(hours) >= 1
        page.select_option("#message-status", "failed")
        until(
            page,
            "(rows => rows.length > 0 && rows.every((r) => r.dataset.status === 'failed'))"
            "([...document.querySelectorAll('#messages tr')])",
        )
        assert set(
            page.eval_on_selector_all("#messages tr[data-status]", "rows => rows.map(r => r.dataset.status)")
        ) == {"failed"}
        page.fill("#message-address", REFUSED.upper())
        page.keyboard.press("Enter")
        until(
            page,
            "(a) => [...document.querySelectorAll('#messages tr')].length === 1 && document.querySelector('#messages tr td').textContent === a",
            arg=REFUSED,
        )
        assert "refused" in page.inner_text("#messages tr")
        shoot(page, "campaign")

        # Keyset paging over every message: Next, then Previous again.
        page.select_option("#message-status", "")
        page.fill("#message-address", "")
        page.keyboard.press("Enter")
        until(page, "document.querySelectorAll('#messages tr[data-message-id]').length === 25")
        first_page = page.eval_on_selector_all(
            "#messages tr[data-message-id]", "rows => rows.map(r => r.dataset.messageId)"
        )
        page.click("#messages-next")
        until(page, "document.getElementById('messages-info').textContent.startsWith('Page 2')")
        second_page = page.eval_on_selector_all(
            "#messages tr[data-message-id]", "rows => rows.map(r => r.dataset.messageId)"
        )
        assert second_page and not set(first_page) & set(second_page)
        assert max(map(int, first_page)) < min(map(int, second_page))
        page.click("#messages-previous")
        until(page, "document.getElementById('messages-info').textContent.startsWith('Page 1')")

        # The report panel's pieces, drawn from a report document of the shape.
        drawn = page.evaluate(RENDER_SAMPLE_REPORT, f"{stack.base_url}/dashboard/static/report.js")
        assert drawn == {
            "steps": ["mail 1,000 980 950 400 90", "sms 200 199 190"],
            "reasons": ["refused", "suppressed", "invalid_mobile"],
            "links": ["https://example.com/a"],
            "lines": ["sent 3", "delivered 3", "opened 3", "clicked 3"],
            "estimate": True,
        }

        # -- tenant HTML: nothing runs in the preview, and names are text -------------------------
        xss = api(
            stack,
            ours,
            "POST",
            "broadcast-templates",
            {
                "type": "broadcast-templates",
                "attributes": {"name": "<b>Bold</b> & co", "subject": "Hi", "body": XSS_BODY, "channels": ["mail"]},
            },
        )
        audience_id = db.session.scalar(
            sa.select(BroadcastCampaign.audience_id).where(BroadcastCampaign.id == int(campaign_id))
        )
        api(
            stack,
            ours,
            "POST",
            "broadcast-campaigns",
            {
                "type": "broadcast-campaigns",
                "attributes": {"name": "Unsafe HTML"},
                "relationships": {
                    "template": {"data": {"type": "broadcast-templates", "id": xss["id"]}},
                    "audience": {"data": {"type": "broadcast-audiences", "id": str(audience_id)}},
                },
            },
        )
        # A reload forgets the token (it was in memory only): sign in again.
        page.evaluate("location.hash = '#/templates'")
        page.reload()
        page.locator("#token").wait_for()
        page.fill("#token", ours["token"])
        page.fill("#organization", str(ours["id"]))
        page.keyboard.press("Enter")
        link = page.locator("#templates a", has_text="<b>Bold</b> & co")
        link.wait_for()
        assert page.locator("#templates b").count() == 0
        link.click()
        frame = page.frame_locator("#preview iframe")
        frame.locator("#tenant").wait_for()
        page.wait_for_timeout(300)  # time for an onerror that would run
        assert frame.locator("body").get_attribute("data-ran") is None
        assert page.get_attribute("body", "data-xss") is None
        assert console.blocked_scripts, "the sandbox blocked no script: did it load the body?"
        shoot(page, "template")

        # -- another organization's ids: not found ------------------------------------------
        for section, other_id in foreign.items():
            page.evaluate("(hash) => { location.hash = hash; }", f"#/{section}/{other_id}")
            page.locator("#not-found").wait_for()
            assert page.inner_text("#not-found") == "Not found in this organization."
        assert "Theirs" not in page.inner_text("body")

        # -- a phone's width: one column, nothing wider than the screen ------------------------
        page.set_viewport_size({"width": 390, "height": 844})
        page.evaluate("location.hash = '#/campaigns'")
        page.locator(f"#campaign-{campaign_id}").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.evaluate(f"location.hash = '#/campaigns/{campaign_id}'")
        page.locator("#messages tr").first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shoot(page, "phone")

        assert console.errors == []
        assert console.server_errors == []
        assert (
            stored_count(
                sa.select(sa.func.count())
                .select_from(BroadcastMessage)
                .where(BroadcastMessage.organization_id == str(theirs["id"]))
            )
            == 0
        )
    except Exception as error:
        shot = Path(tempfile.mkdtemp(prefix="dashboard-test-")) / "dashboard-failure.png"
        page.screenshot(path=str(shot), full_page=True)
        pytest.fail(
            f"{error!r}\nscreenshot: {shot}\nblocked requests: {blocked}\nconsole errors: {console.errors}\n"
            f"server errors: {console.server_errors}\n" + stack.logs(),
        )
    finally:
        page.close()


# Draws a report resource of the shape issue #37 settled on, with the page's own module, and reads
# back what the panel shows: the funnel of each channel, the failure reasons, the chart's lines.
RENDER_SAMPLE_REPORT = """async (url) => {
  const { renderReport } = await import(url);
  const element = document.createElement("div");
  renderReport(element, { type: "broadcast-campaign-reports", id: "42", attributes: {
    campaign_id: 42, status: "completed", track_opens: true, track_clicks: true, opens_are_estimate: true,
    channels: {
      mail: { total: 1000, sent: 980, delivered: 950, failed: 20, suppressed: 5,
        failures: [{ error_code: "refused", count: 9 }, { error_code: "suppressed", count: 5 }],
        bounced: { hard: 4, soft: 2 }, complained: 1, unsubscribed: 3,
        opened: { unique: 400, total: 700, machine: 120 }, clicked: { unique: 90, total: 130, machine: 8 },
        links: [{ index: 0, url: "https://example.com/a", clicks: 100, unique: 70 }] },
      sms: { total: 200, sent: 199, delivered: 190, failed: 1, suppressed: 0,
        failures: [{ error_code: "invalid_mobile", count: 1 }], bounced: { hard: 0, soft: 0 },
        complained: 0, unsubscribed: 2, opened: null, clicked: null, links: null } },
    hourly: [
      { hour: "2026-12-02T17:00:00Z", sent: 500, delivered: 480, opened: 100, clicked: 20 },
      { hour: "2026-12-02T18:00:00Z", sent: 480, delivered: 470, opened: 300, clicked: 70 },
      { hour: "2026-12-02T19:00:00Z", sent: 0, delivered: 0, opened: 0, clicked: 0 } ],
    runs: [{ run_key: "once", status: "completed", total: 1000, sent: 980, failed: 20, delivered: 950 }] } });
  return {
    steps: [...element.querySelectorAll(".funnel")].map((f) =>
      [f.dataset.channel, ...[...f.querySelectorAll(".funnel-value")].map((e) => e.textContent)].join(" ")),
    reasons: [...element.querySelectorAll("[data-error-code]")].map((e) => e.dataset.errorCode),
    links: [...element.querySelectorAll(".links td:first-child")].map((e) => e.textContent),
    lines: [...element.querySelectorAll("svg polyline")].map((l) => l.dataset.series + " " + l.getAttribute("points").split(" ").length),
    estimate: element.textContent.includes("Opens are an estimate"),
  };
}"""
