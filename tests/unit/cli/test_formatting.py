"""What the operator commands print, without a stack: tables, durations, rate and ETA, the lines of a watch."""

from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace

import pytest

from flask_broadcasts.cli.formatting import (
    CampaignProgress,
    RateMeter,
    bar_line,
    campaign_table,
    final_line,
    format_duration,
    progress_line,
)
from flask_broadcasts.cli.watch import PlainDisplay
from flask_broadcasts.statuses import CampaignStatus


def _progress(status: str = "in-progress", sent: int = 0, failed: int = 0, total: int = 300, reason=None):
    return CampaignProgress(CampaignStatus(status), reason, sent, failed, total)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "-"), (float("inf"), "-"), (0.4, "0 s"), (59.4, "59 s"), (125, "2 min 05 s"), (3720, "1 h 02 min")],
)
def test_durations_read_as_a_person_says_them(seconds, text):
    assert format_duration(seconds) == text


def test_the_list_is_a_table_aligned_on_its_widest_cells():
    rows = [
        SimpleNamespace(
            id=12,
            organization_id="org-1",
            name="Spring sale",
            status="paused",
            status_reason="paused",
            sent_count=150,
            failed_count=2,
            total_count=300,
            next_run_at=None,
        ),
        SimpleNamespace(
            id=3,
            organization_id="o",
            name="Weekly",
            status="scheduled",
            status_reason=None,
            sent_count=0,
            failed_count=0,
            total_count=0,
            next_run_at=datetime(2026, 12, 7, 9, 0),
        ),
    ]
    assert campaign_table(rows) == [
        "ID  ORGANIZATION  NAME         STATUS           SENT/FAILED/TOTAL  NEXT RUN",
        "12  org-1         Spring sale  paused (paused)  150/2/300          -",
        "3   o             Weekly       scheduled        0/0/0              2026-12-07 09:00 UTC",
    ]


def test_the_rate_is_measured_over_what_the_watcher_saw_and_gives_the_eta():
    meter = RateMeter(window=10)
    assert meter.rate is None and meter.eta(100) is None
    meter.add(100.0, 1000)  # joined half-way: the 1000 before do not count
    meter.add(102.0, 1100)
    assert meter.rate == 50.0
    assert meter.eta(200) == 4.0
    assert meter.eta(0) == 0.0


def test_the_rate_forgets_samples_older_than_its_window_and_restarts_when_counts_go_back():
    meter = RateMeter(window=10)
    for moment, done in [(0, 0), (1, 500), (12, 600), (13, 700)]:
        meter.add(moment, done)
    assert meter.rate == pytest.approx(200 / 12)  # (1, 500) to (13, 700): the first sample is out
    meter.add(14, 10)  # a stopped run's counters reconciled down
    assert meter.rate is None


def test_a_plain_line_carries_sent_failed_rate_and_eta():
    assert progress_line(5, _progress(sent=148, failed=2), 95.24, 2.1) == (
        "campaign 5 in-progress 150/300 sent 148 · failed 2 · 95.2/s · ETA 2 s"
    )
    assert progress_line(5, _progress("paused", 10, 0, reason="paused"), None, None) == (
        "campaign 5 paused (paused) 10/300 sent 10 · failed 0 · -/s · ETA -"
    )
    assert progress_line(5, _progress("draft", total=0), None, None) == "campaign 5 draft: waiting for it to start"


def test_the_bar_fills_with_the_share_done_and_fits_the_width():
    line = bar_line(7, _progress(sent=150, total=300), 50.0, 3.0, width=90)
    assert len(line) <= 90
    assert line.startswith("campaign 7 [")
    bar = line[line.index("[") + 1 : line.index("]")]
    assert bar.count("#") == len(bar) // 2 and set(bar) == {"#", "-"}
    assert line.endswith(" 50% 150/300 sent 150 · failed 0 · 50.0/s · ETA 3 s")
    assert re.search(r"\[#+\] 100% 300/300 ", bar_line(7, _progress("completed", 298, 2), None, None, width=90))


def test_the_final_line_has_the_counts():
    assert final_line(5, _progress("completed", 294, 6), 3.2) == (
        "campaign 5 completed: 294 sent, 6 failed, 300 total (watched 3 s)"
    )
    assert final_line(5, _progress("draft", 40, 0, reason="stopped")).startswith("campaign 5 draft (stopped): 40 sent")


def test_a_run_is_over_when_completed_failed_or_stopped_not_when_paused_or_a_fresh_draft():
    assert _progress("completed").finished and _progress("failed").finished
    assert _progress("draft", reason="stopped").finished
    assert not _progress("draft").finished and not _progress("paused", reason="paused").finished


def test_plain_lines_come_at_most_once_per_interval_but_at_every_status_change():
    printed: list[str] = []
    display = PlainDisplay(1, interval=1.0, echo=printed.append)
    display.show(_progress(sent=10), None, None, 0.0)
    display.show(_progress(sent=20), None, None, 0.5)  # too soon
    display.show(_progress("paused", 25, reason="paused"), None, None, 0.6)  # a status change shows at once
    display.show(_progress("paused", 25, reason="paused"), None, None, 5.0)  # nothing changed
    display.show(_progress("in-progress", 30), None, None, 5.1)
    display.show(_progress("in-progress", 40), None, None, 6.2)
    assert [line.split(" sent")[0] for line in printed] == [
        "campaign 1 in-progress 10/300",
        "campaign 1 paused (paused) 25/300",
        "campaign 1 in-progress 30/300",
        "campaign 1 in-progress 40/300",
    ]
