"""flask_broadcasts.services.campaign_pacing: a campaign's ``expires_at``, ``send_window`` and
``deliver_at_local`` checked before they are stored. A user relies on each bad value being named
at its own attribute (a 422 pointer, all of them at once), on good ones being stored in one
normal form, and on a send-by before the start being refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_broadcasts.services.campaign_pacing import check_expiry_after_schedule, clean_pacing

ATTRIBUTES = "/data/attributes"


class Collected(list):
    """The ``add(detail, pointer, code)`` a caller hands in: what it was told, in order."""

    def __call__(self, detail: str, pointer: str, code: str) -> None:
        self.append((pointer, code))


def test_good_values_are_stored_in_one_normal_form():
    at = datetime(2026, 4, 1, 18, 0, tzinfo=UTC)
    problems = Collected()
    clean = clean_pacing(
        {
            "expires_at": at,
            "send_window": {"start": "09:00:00", "end": "18:30", "days": ["Mon", "fri"]},
            "deliver_at_local": "08:05:00",
        },
        problems,
    )
    assert problems == []
    assert clean == {
        "expires_at": at,
        "send_window": {"start": "09:00", "end": "18:30", "days": ["mon", "fri"]},
        "deliver_at_local": "08:05",
    }


def test_only_the_attributes_sent_are_touched_and_none_clears_one():
    problems = Collected()
    assert clean_pacing({"name": "March"}, problems) == {}
    assert clean_pacing({"send_window": None, "deliver_at_local": None, "expires_at": None}, problems) == {
        "send_window": None,
        "deliver_at_local": None,
        "expires_at": None,
    }
    assert problems == []


def test_every_bad_value_is_named_at_its_own_attribute():
    problems = Collected()
    clean = clean_pacing(
        {
            "expires_at": datetime(2026, 4, 1, 18, 0),  # no UTC offset: whose 18:00?
            "send_window": {"start": "09:00", "end": "25:00"},
            "deliver_at_local": "8 am",
        },
        problems,
    )
    assert clean == {}
    assert problems == [
        (f"{ATTRIBUTES}/expires_at", "naive_datetime"),
        (f"{ATTRIBUTES}/send_window/end", "invalid_send_window"),
        (f"{ATTRIBUTES}/deliver_at_local", "invalid_local_time"),
    ]
    # A window that is no object points at the attribute itself.
    problems = Collected()
    clean_pacing({"send_window": "09:00-18:00"}, problems)
    assert problems == [(f"{ATTRIBUTES}/send_window", "invalid_send_window")]


def test_a_send_by_at_or_before_the_start_is_refused():
    start = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    problems = Collected()
    check_expiry_after_schedule(start, start, problems)
    check_expiry_after_schedule(start, start - timedelta(hours=1), problems)
    assert problems == [(f"{ATTRIBUTES}/expires_at", "expires_before_start")] * 2
    problems = Collected()
    check_expiry_after_schedule(start, start + timedelta(minutes=1), problems)
    check_expiry_after_schedule(None, start, problems)  # not scheduled: starts when asked
    check_expiry_after_schedule(start, None, problems)  # no send-by
    assert problems == []
