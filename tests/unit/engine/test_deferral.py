"""flask_broadcasts.engine.deferral: how long a deferred message waits, and when it gives up.

What a user relies on: ``BROADCASTS_RETRY_INTERVALS`` is the wait before each next try, its
last entry repeating; after ``BROADCASTS_RETRY_MAX`` tries a message has no try left (it fails
with ``temporary_failure`` instead of waiting for ever).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_broadcasts.config import Settings, apply_defaults
from flask_broadcasts.engine.deferral import RetryPolicy

NOW = datetime(2026, 11, 3, 8, 30, tzinfo=UTC)


def _settings(**config) -> Settings:
    values: dict = {}
    apply_defaults(values)
    values.update(config)
    return Settings.from_config(values)


def test_the_policy_of_the_apps_settings_waits_each_interval_then_repeats_the_last():
    policy = RetryPolicy.from_settings(_settings(BROADCASTS_RETRY_MAX=6, BROADCASTS_RETRY_INTERVALS=[5, 30, 120]))

    assert policy.max_tries == 6
    assert [policy.backoff(tries) for tries in range(1, 6)] == [5.0, 30.0, 120.0, 120.0, 120.0]


def test_a_message_deferred_at_its_last_try_has_no_try_left():
    policy = RetryPolicy(max_tries=3, intervals=(10.0, 60.0))

    assert policy.next_try_at(1, NOW) == NOW + timedelta(seconds=10)
    assert policy.next_try_at(2, NOW) == NOW + timedelta(seconds=60)
    assert policy.next_try_at(3, NOW) is None
    assert policy.next_try_at(4, NOW) is None


def test_a_retry_max_below_one_still_gives_one_try_and_no_intervals_retry_at_once():
    # A misconfigured 0 must not make every message fail before its first try.
    policy = RetryPolicy.from_settings(_settings(BROADCASTS_RETRY_MAX=0, BROADCASTS_RETRY_INTERVALS=[]))

    assert policy.max_tries == 1
    assert policy.backoff(1) == 0.0
    assert policy.next_try_at(1, NOW) is None
