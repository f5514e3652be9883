"""flask_broadcasts.engine.pacing in process, on the suite's Redis: what the lanes of one worker
ask Redis about a provider's pause, and how soon they see one."""

from __future__ import annotations

import pytest

from flask_broadcasts.engine import pacing
from flask_broadcasts.engine.pacing import Pacer, Throttled, throttle
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG


def _scripts_run(redis) -> int:
    stats = redis.info("commandstats")
    return sum(stats.get(name, {}).get("calls", 0) for name in ("cmdstat_evalsha", "cmdstat_eval"))


def test_the_lanes_of_a_worker_ask_about_a_pause_once_between_them(app, env) -> None:
    state = get_state(app)
    lanes = [Pacer(state) for _ in range(8)]  # a send job's 8 connections, no rate limit
    state.redis.script_load(pacing._RESERVE)  # a fresh Redis answers NOSCRIPT, then runs it: not two questions
    before = _scripts_run(state.redis)
    for lane in lanes:
        lane.wait("mail", ORG, 1)
    assert _scripts_run(state.redis) - before == 1  # was one question per lane


def test_a_pause_this_worker_asked_for_reaches_its_other_lanes_at_once(app, env) -> None:
    state = get_state(app)
    lanes = [Pacer(state) for _ in range(2)]
    lanes[0].wait("mail", ORG, 1)  # the answer "not paused" is now fresh for every lane
    throttle(state, "mail", 30.0)  # a 421 on lane 0's connection: 30 s, longer than a lane waits
    with pytest.raises(Throttled):
        lanes[1].wait("mail", ORG, 1)
