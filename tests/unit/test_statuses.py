"""flask_broadcasts.statuses: the one vocabulary and its transitions tables.

Every status move in the engine is a guarded UPDATE built from these tables
(``campaign_statuses_from``); a wrong entry here lets a real campaign make a move the
API promises it never makes, so the tables are checked for the promises themselves.
"""

from __future__ import annotations

import pytest

from flask_broadcasts.statuses import (
    CAMPAIGN_TRANSITIONS,
    CHANNEL_TRANSITIONS,
    MESSAGE_TRANSITIONS,
    OPEN_RUN_CAMPAIGN_STATUSES,
    RUNNING_CAMPAIGN_STATUSES,
    SENT_MESSAGE_STATUSES,
    CampaignStatus,
    ChannelStatus,
    IllegalTransition,
    MessageStatus,
    campaign_statuses_from,
    can_transition,
    channel_statuses_from,
    message_statuses_from,
    transition,
)

C, M, CH = CampaignStatus, MessageStatus, ChannelStatus


@pytest.mark.parametrize(
    ("enum", "table"), [(C, CAMPAIGN_TRANSITIONS), (M, MESSAGE_TRANSITIONS), (CH, CHANNEL_TRANSITIONS)]
)
def test_every_status_has_a_row_and_every_target_is_a_status(enum, table) -> None:
    assert set(table) == set(enum)
    for targets in table.values():
        assert targets <= set(enum)


def test_the_spec_lifecycle_of_a_one_off_campaign_is_allowed() -> None:
    path = [C.DRAFT, C.PENDING, C.IN_PROGRESS, C.COMPLETED]
    for current, target in zip(path, path[1:], strict=False):
        assert transition(current, target) is target


def test_a_scheduled_campaign_fires_or_is_stopped_and_a_recurring_run_goes_back_to_scheduled() -> None:
    assert can_transition(C.DRAFT, C.SCHEDULED)
    assert can_transition(C.SCHEDULED, C.PENDING)
    assert can_transition(C.SCHEDULED, C.DRAFT)
    assert can_transition(C.IN_PROGRESS, C.SCHEDULED)


def test_pause_holds_a_running_campaign_and_resume_returns_to_where_it_was() -> None:
    for running in RUNNING_CAMPAIGN_STATUSES:
        assert can_transition(running, C.PAUSED)
        assert can_transition(C.PAUSED, running)
    assert not can_transition(C.DRAFT, C.PAUSED)
    # A held run finishes after resume — or when its send-by passes (engine.expiry).
    assert can_transition(C.PAUSED, C.COMPLETED)


def test_stop_reaches_draft_from_every_active_status() -> None:
    for status in C:
        if status.is_active:
            assert can_transition(status, C.DRAFT), status


@pytest.mark.parametrize(
    ("current", "target"),
    [(C.DRAFT, C.COMPLETED), (C.DRAFT, C.IN_PROGRESS), (C.COMPLETED, C.IN_PROGRESS), (M.DELIVERED, M.PENDING)],
)
def test_a_move_not_in_the_table_raises_naming_both_statuses(current, target) -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(current, target)
    assert raised.value.current is current and raised.value.target is target
    assert repr(current.value) in str(raised.value) and repr(target.value) in str(raised.value)


def test_statuses_from_are_exactly_the_rows_that_name_the_target() -> None:
    for target in C:
        assert set(campaign_statuses_from(target)) == {s for s in C if target in CAMPAIGN_TRANSITIONS[s]}
    for target in M:
        assert set(message_statuses_from(target)) == {s for s in M if target in MESSAGE_TRANSITIONS[s]}
    for target in CH:
        assert set(channel_statuses_from(target)) == {s for s in CH if target in CHANNEL_TRANSITIONS[s]}
    # what start's guarded UPDATE accepts
    assert campaign_statuses_from(C.PENDING) and C.DRAFT in campaign_statuses_from(C.PENDING)


def test_a_delivered_message_never_changes_and_a_draft_is_never_sent_directly() -> None:
    assert MESSAGE_TRANSITIONS[M.DELIVERED] == frozenset()
    assert not can_transition(M.DRAFT, M.COMPLETED)
    assert M.DELIVERED.is_final and not M.PENDING.is_final


def test_a_settled_channel_report_never_changes_again() -> None:
    for settled in (CH.UNKNOWN, CH.DELIVERED, CH.UNDELIVERED, CH.BOUNCED, CH.SUPPRESSED):
        assert CHANNEL_TRANSITIONS[settled] == frozenset(), settled
    assert can_transition(CH.SENT, CH.DELIVERED)  # the provider's later report
    # A refusal that said the address is bad becomes a bounce, and stays settled (never sent again).
    assert CHANNEL_TRANSITIONS[CH.REFUSED] == frozenset({CH.BOUNCED})


def test_what_the_counters_count() -> None:
    assert set(SENT_MESSAGE_STATUSES) == {s for s in M if s.is_sent}
    assert M.FAILED not in SENT_MESSAGE_STATUSES
    assert set(OPEN_RUN_CAMPAIGN_STATUSES) == {*RUNNING_CAMPAIGN_STATUSES, C.PAUSED}


def test_only_a_draft_is_editable_or_startable() -> None:
    assert [s for s in C if s.is_editable] == [C.DRAFT]
    assert [s for s in C if s.is_startable] == [C.DRAFT]
    assert {s for s in C if s.is_pausable} == set(RUNNING_CAMPAIGN_STATUSES)
