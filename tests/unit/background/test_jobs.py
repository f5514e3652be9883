"""The fire job never starts a run before its fire time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from flask_broadcasts.background import jobs
from flask_broadcasts.engine import schedule as service


@pytest.fixture
def fired(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, datetime]]:
    calls: list[tuple[int, datetime]] = []
    monkeypatch.setattr(service, "fire", lambda campaign_id, due: calls.append((campaign_id, due)) or True)
    monkeypatch.setattr(jobs, "app_context", lambda: _null())
    return calls


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_far_too_early_job_does_nothing(fired) -> None:
    with time_machine.travel(datetime(2026, 4, 1, 9, 59, 0, tzinfo=UTC), tick=False):
        assert jobs.fire_campaign(3, "2026-04-01T10:00:00Z") is False
    assert fired == []


def test_slightly_early_job_waits_for_its_fire_time(fired, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(jobs.time, "sleep", slept.append)
    with time_machine.travel(datetime(2026, 4, 1, 9, 59, 58, tzinfo=UTC), tick=False):
        assert jobs.fire_campaign(3, "2026-04-01T10:00:00Z") is True
    assert slept == [2.0]
    assert fired == [(3, datetime(2026, 4, 1, 10, tzinfo=UTC))]


def test_due_job_fires_at_once(fired, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs.time, "sleep", lambda s: pytest.fail("must not wait"))
    with time_machine.travel(datetime(2026, 4, 1, 10, 0, 3, tzinfo=UTC), tick=False):
        assert jobs.fire_campaign("3", "2026-04-01T10:00:00Z") is True
    assert fired == [(3, datetime(2026, 4, 1, 10, tzinfo=UTC))]
