"""How the benchmark's report holds a run's figures to the issue's targets."""

from __future__ import annotations

from typing import Any

from benchmarks.report import check_targets


def _latency(first: float, deep: float, draft: float) -> dict[str, Any]:
    return {
        name: {"samples": 200, "p50_ms": p99 / 2, "p99_ms": p99}
        for name, p99 in (("messages_first", first), ("messages_deep", deep), ("draft_messages", draft))
    }


def _run(recipients: int, *, running: dict[str, Any], settled: dict[str, Any]) -> dict[str, Any]:
    return {
        "recipients": recipients,
        "workers": 2,
        "wall_s": recipients / 5000,
        "messages_per_s": 5000.0,
        "rss": {"worker1": {"peak_rss_mb": 90.0}},
        "latency": running,
        "latency_settled": settled,
    }


def _targets(small: dict[str, Any], big: dict[str, Any]) -> dict[str, dict[str, Any]]:
    results = {"campaigns": [small, big], "limit": {"messages_per_s": 9000.0}, "naive": {"messages_per_s": 400.0}}
    return {target["target"]: target for target in check_targets(results)}


def test_latency_growth_with_size_is_judged_on_the_figures_taken_alike_at_both_sizes():
    # Under the sending load at 100,000 a page is slower than on the idle machine after
    # a 1,000-recipient campaign; taken alike after each campaign, it is not.
    targets = _targets(
        _run(1_000, running=_latency(9, 9, 10), settled=_latency(9, 9, 10)),
        _run(100_000, running=_latency(20, 19, 27), settled=_latency(11, 10, 12)),
    )
    page = targets["p99 messages page(100k) <= 2 x p99(1k)"]
    assert page["result"] == "PASS"
    assert "settled 11 ms vs 9 ms" in page["detail"] and "while running 20 ms vs 9 ms" in page["detail"]
    assert targets["p99 preview(100k) <= 2 x p99(1k)"]["result"] == "PASS"


def test_a_page_that_slows_down_with_the_campaigns_size_fails():
    targets = _targets(
        _run(1_000, running=_latency(9, 9, 10), settled=_latency(9, 9, 10)),
        _run(100_000, running=_latency(20, 19, 27), settled=_latency(40, 10, 12)),
    )
    assert targets["p99 messages page(100k) <= 2 x p99(1k)"]["result"] == "FAIL"
    assert targets["p99 preview(100k) <= 2 x p99(1k)"]["result"] == "PASS"


def test_a_sqlite_only_run_has_its_deep_page_judged():
    sqlite = _run(10_000, running=_latency(6, 5, 5), settled=_latency(4, 4, 4))
    targets = {
        t["target"]: t for t in check_targets({"sqlite": {**sqlite, "status": "completed", "sent_count": 10_000}})
    }
    deep = targets["p99 deep messages page <= 2 x first page"]
    assert deep["result"] == "PASS" and deep["detail"] == "5 ms vs 6 ms at 10,000"
