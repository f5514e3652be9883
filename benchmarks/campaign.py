"""One whole campaign through the real API and real worker processes, timed from ``start`` to ``completed``.

While it runs, a sampler thread times ``GET .../messages`` (first page and a deep page,
by keyset cursor) and ``GET .../draft-messages`` at a steady pace, so the API's
responsiveness under a sending load is measured, not its speed when idle. After the
campaign the same requests are timed again in a fixed number of quick rounds (the
*settled* figures): there, every size is measured alike, so they show what the size of
a campaign alone does to a page's latency. The preview with its audience counts
(``with_counts=true``) is timed after the campaign.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from .environment import Tenant

JSONAPI = "application/vnd.api+json"
#: Seconds between two rounds of the three sampled requests (a round is sequential). A
#: dashboard refreshing once a second; faster sampling would steal a visible share of two
#: cores from the workers (a preview costs the web process ~60 ms of CPU).
SAMPLE_INTERVAL = 1.0
#: Seconds between two reads of the campaign's status (the wall time comes from the
#: server's ``completed_at``, so polling slowly costs no precision).
POLL_INTERVAL = 0.5
#: A latency needs this many samples per endpoint; when the campaign is over sooner
#: (1,000 recipients), sampling goes on after it (``during_run`` counts the others).
MIN_SAMPLES = 30
#: Seconds sampling may go on after the campaign completed.
MAX_EXTRA_SAMPLING = 30.0
#: ``draft-messages?with_counts=true`` (the preview with a COUNT over the audience) is
#: timed this many times after the campaign, not while it runs: a dashboard refreshing
#: asks for the drafts; the counts are what a user checks once before pressing start.
COUNTED_SAMPLES = 5
#: Rounds of the three sampled requests timed once the campaign completed, and the pause
#: between two. At 1,000 recipients the campaign is over in under a second, so its
#: figures "while it runs" are mostly taken on an idle machine, and at 100,000 under the
#: full sending load: comparing those two measures the load, not the size. The targets
#: on how latency grows with N compare these settled rounds, taken alike at every size.
SETTLED_SAMPLES = 200
SETTLED_PAUSE = 0.01
DEEP_FRACTION = 0.9
SUBJECT = "Hello {first_name}!"
BODY = "<p>Hi {first_name} {last_name}, here's your monthly update...</p><p>Regards, the team</p>"


class ApiError(RuntimeError):
    pass


class Client:
    """A JSON:API client for one tenant."""

    def __init__(self, base_url: str, tenant: Tenant) -> None:
        self.base_url = base_url.rstrip("/")
        self.tenant = tenant
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {tenant.token}", "Accept": JSONAPI, "Content-Type": JSONAPI}
        )

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/{path}"

    def params(self, **extra: Any) -> dict[str, Any]:
        return {"o": str(self.tenant.organization_id), **extra}

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.session.get(self.url(path), params=self.params(**params), timeout=60)
        if response.status_code >= 400:
            raise ApiError(f"GET {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else {}

    def create(self, type_: str, attributes: dict[str, Any], relationships: dict[str, Any] | None = None) -> str:
        data: dict[str, Any] = {"type": type_, "attributes": attributes}
        if relationships:
            data["relationships"] = {name: {"data": {"type": t, "id": i}} for name, (t, i) in relationships.items()}
        response = self.session.post(self.url(type_), params=self.params(), data=json.dumps({"data": data}), timeout=60)
        if response.status_code != 201:
            raise ApiError(f"POST {type_}: {response.status_code} {response.text[:500]}")
        return response.json()["data"]["id"]

    def timed_get(self, path: str, **params: Any) -> float:
        started = time.perf_counter()
        response = self.session.get(self.url(path), params=self.params(**params), timeout=60)
        elapsed = time.perf_counter() - started
        if response.status_code >= 400:
            raise ApiError(f"GET {path}: {response.status_code} {response.text[:300]}")
        return elapsed


def create_campaign(client: Client, label: str, channels: tuple[str, ...] = ("mail",), body: str = BODY) -> str:
    template = client.create(
        "broadcast-templates",
        {
            "name": f"Bench {label}",
            "subject": SUBJECT,
            "body": body,
            "body_short": "Hi {first_name}",
            "action_label": "View details",
            "action_url": "https://example.com/updates",
            "channels": list(channels),
            "is_template": False,
        },
    )
    audience = client.create(
        "broadcast-audiences",
        {
            "name": f"Bench {label}",
            "audience_type": "customers",
            "filters": {},
            "is_template": False,
        },
    )
    return client.create(
        "broadcast-campaigns",
        {"name": f"Bench {label}"},
        {
            "template": ("broadcast-templates", template),
            "audience": ("broadcast-audiences", audience),
        },
    )


def _percentiles(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"samples": 0, "p50_ms": None, "p99_ms": None}
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))]
    return {
        "samples": len(samples),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
    }


@dataclass
class Sampler:
    """Times the three read endpoints in rounds until stopped (and until each has ``MIN_SAMPLES``)."""

    client: Client
    campaign_id: str
    deep_cursor: Any  # callable returning a cursor string or None
    samples: dict[str, list[float]] = field(
        default_factory=lambda: {"messages_first": [], "messages_deep": [], "draft_messages": []}
    )
    during_run: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._thread = threading.Thread(target=self._run, name="latency-sampler", daemon=True)
        self._cursor: str | None = None
        self._over_at = float("inf")

    def start(self) -> None:
        self._thread.start()

    def campaign_over(self) -> None:
        self.during_run = {name: len(values) for name, values in self.samples.items()}
        self._over_at = time.monotonic()
        self._running.clear()

    def join(self, timeout: float = 60) -> None:
        self._thread.join(timeout)

    def _enough(self) -> bool:
        return all(len(values) >= MIN_SAMPLES for values in self.samples.values())

    def _round(self, into: dict[str, list[float]]) -> None:
        """Time each of the three requests once, into ``into``."""
        path = f"broadcast-campaigns/{self.campaign_id}"
        into["messages_first"].append(self.client.timed_get(f"{path}/messages", **{"page[size]": 25}))
        if self._cursor is None:
            self._cursor = self.deep_cursor()
        if self._cursor is not None:
            into["messages_deep"].append(
                self.client.timed_get(f"{path}/messages", **{"page[size]": 25, "page[after]": self._cursor})
            )
        into["draft_messages"].append(self.client.timed_get(f"{path}/draft-messages"))

    def settled(self, rounds: int = SETTLED_SAMPLES) -> dict[str, Any]:
        """Percentiles of ``rounds`` quick rounds, timed now (after the campaign, the sampler joined)."""
        samples: dict[str, list[float]] = {name: [] for name in self.samples}
        for _ in range(rounds):
            self._round(samples)
            time.sleep(SETTLED_PAUSE)
        return {name: _percentiles(values) for name, values in samples.items()}

    def _run(self) -> None:
        while self._running.is_set() or not (self._enough() or time.monotonic() - self._over_at > MAX_EXTRA_SAMPLING):
            started = time.monotonic()
            try:
                self._round(self.samples)
            except (ApiError, requests.RequestException) as exc:
                self.errors.append(str(exc)[:300])
                if len(self.errors) > 20:
                    return
            # After the campaign nothing is left to perturb: top up the samples quickly.
            interval = SAMPLE_INTERVAL if self._running.is_set() else 0.05
            time.sleep(max(0.0, interval - (time.monotonic() - started)))

    def figures(self) -> dict[str, Any]:
        return {
            name: {**_percentiles(values), "during_run": self.during_run.get(name, 0)}
            for name, values in self.samples.items()
        }


def _cursor_factory(client: Client, campaign_id: str, row_at_depth: Callable[[], tuple[Any, int] | None]) -> Any:
    """A function returning a ``page[after]`` cursor at ``DEEP_FRACTION`` of the campaign's messages.

    The cursor is the API's own: we read the sort it encodes from the first page's
    ``links.next`` and put the keys of the row at that depth in its place.
    """
    from flask_broadcasts.jsonapi.cursor import encode_cursor

    def make() -> str | None:
        first = client.get(f"broadcast-campaigns/{campaign_id}/messages", **{"page[size]": 25})
        next_link = (first.get("links") or {}).get("next")
        if not next_link:
            return None
        raw = requests.utils.unquote(next_link.split("page%5Bafter%5D=")[-1].split("page[after]=")[-1].split("&")[0])
        sort = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["s"]
        row = row_at_depth()
        return None if row is None else encode_cursor(sort, list(row))

    return make


def deep_cursor_factory(client: Client, campaign_id: str, database_url: str, total: int) -> Any:
    """:func:`_cursor_factory` reading the row at depth from PostgreSQL."""
    import psycopg

    def row_at_depth() -> tuple[Any, int] | None:
        with psycopg.connect(database_url) as connection:
            return connection.execute(
                "SELECT created_at, id FROM broadcast_messages WHERE campaign_id = %s "
                "ORDER BY created_at, id OFFSET %s LIMIT 1",
                (int(campaign_id), int(total * DEEP_FRACTION)),
            ).fetchone()

    return _cursor_factory(client, campaign_id, row_at_depth)


def sqlite_deep_cursor_factory(client: Client, campaign_id: str, database_path: str, total: int) -> Any:
    """:func:`_cursor_factory` reading the row at depth from SQLite (naive UTC text there)."""
    import sqlite3

    def row_at_depth() -> tuple[Any, int] | None:
        with sqlite3.connect(database_path) as connection:
            row = connection.execute(
                "SELECT created_at, id FROM broadcast_messages WHERE campaign_id = ? "
                "ORDER BY created_at, id LIMIT 1 OFFSET ?",
                (int(campaign_id), int(total * DEEP_FRACTION)),
            ).fetchone()
        if row is None:
            return None
        created = dt.datetime.fromisoformat(row[0])
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        return created, row[1]

    return _cursor_factory(client, campaign_id, row_at_depth)


def run_to_completion(
    client: Client,
    campaign_id: str,
    sink: Any,
    expected: int,
    deep_cursor: Any,
    timeout: float,
    on_completed: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Start the campaign and wait for ``completed``; the timings and the sampled latencies.

    ``on_completed`` is called as soon as the campaign is seen completed, before the
    sampling that goes on after it (the CPU figures stop there).
    """
    path = f"broadcast-campaigns/{campaign_id}"
    sink.mark()
    sampler = Sampler(client, campaign_id, deep_cursor)
    started, started_wall = time.monotonic(), time.time()
    client.get(f"{path}/start")
    start_request = time.monotonic() - started
    sampler.start()
    attributes: dict[str, Any] = {}
    deadline = started + timeout
    timed_out = False
    while True:
        attributes = client.get(path)["data"]["attributes"]
        if attributes.get("status") == "completed":
            break
        if time.monotonic() > deadline:
            timed_out = True
            break
        time.sleep(POLL_INTERVAL)
    observed = time.monotonic() - started
    wall = observed
    if attributes.get("completed_at"):
        # The server's completion stamp: same machine, same clock, no polling granularity.
        completed = dt.datetime.fromisoformat(attributes["completed_at"].replace("Z", "+00:00"))
        wall = completed.timestamp() - started_wall
    on_completed()
    sampler.campaign_over()
    sink.wait_for(expected, timeout=5)
    sampler.join(timeout=120)
    settled = sampler.settled()
    counted = [client.timed_get(f"{path}/draft-messages", with_counts="true") for _ in range(COUNTED_SAMPLES)]
    first = sink.first_since_mark()
    return {
        "status": attributes.get("status"),
        "timed_out": timed_out,
        "wall_s": round(wall, 3),
        "observed_s": round(observed, 3),
        "messages_per_s": round(expected / wall, 1) if wall else None,
        "first_message_s": round(first - started, 3) if first else None,
        "start_request_s": round(start_request, 3),
        "sent_count": attributes.get("sent_count"),
        "failed_count": attributes.get("failed_count"),
        "total_count": attributes.get("total_count"),
        "sink_received": sink.since_mark(),
        "latency": {**sampler.figures(), "draft_messages_with_counts": {**_percentiles(counted), "during_run": 0}},
        "latency_settled": settled,
        "latency_errors": sampler.errors[:5],
    }
