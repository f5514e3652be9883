"""flask_broadcasts.cli.processes: the operator's ``flask broadcasts settings``, ``recover``
and ``scheduler --register-only``, run through Flask's CLI runner on a real database and Redis.

(``worker`` and ``scheduler`` themselves run as processes in tests/e2e.)
"""

from __future__ import annotations

import json

from rq import Queue

from flask_broadcasts.config import SETTINGS
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers


def _flask_broadcasts(app, *args: str):
    return app.test_cli_runner().invoke(args=["broadcasts", *args])


def test_settings_prints_every_setting_with_the_value_in_effect(app, env) -> None:
    app.config["BROADCASTS_BATCH_SIZE"] = 37

    result = _flask_broadcasts(app, "settings")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(" = ", 1)[0] for line in lines] == [setting.key for setting in SETTINGS]
    assert "BROADCASTS_BATCH_SIZE = 37" in lines


def test_recover_requeues_a_run_whose_job_was_lost_and_prints_what_it_did(app, env) -> None:
    seed_customers(2)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    state = get_state(app)
    queue = Queue(state.settings.queue, connection=state.redis)
    queue.empty()  # Redis lost the materialize job (a flushed or failed-over Redis)

    result = _flask_broadcasts(app, "recover")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["materialize_requeued"] == [campaign_id], report
    assert len(queue) == 1  # queued again, once
    _flask_broadcasts(app, "recover")
    assert len(queue) == 1  # a second sweep queues no second job (the job id is the run's)
    assert campaign_row(campaign_id).status == "pending"


def test_scheduler_register_only_registers_the_recovery_sweep_once(app, env) -> None:
    first = _flask_broadcasts(app, "scheduler", "--register-only")
    second = _flask_broadcasts(app, "scheduler", "--register-only")

    assert first.exit_code == second.exit_code == 0, (first.output, second.output)
    assert first.output.strip().endswith(": registered")
    assert second.output.strip().endswith(": already registered")
