"""Scheduler OS processes (``flask broadcasts scheduler``) next to the sending tests' workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from flask_broadcasts.models import BroadcastCampaign, BroadcastRun

from .fixtures import make_campaign
from .processes import ROOT, start_worker, worker_env


def start_scheduler(env: dict[str, str], *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "broadcasts", "scheduler", *extra],
        cwd=ROOT,
        env=worker_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


class Processes:
    """Long-running schedulers and workers of one test; stopped (by their own ids) at teardown."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.started: list[subprocess.Popen] = []

    def scheduler(self, *extra: str) -> subprocess.Popen:
        proc = start_scheduler(self.env, *extra)
        self.started.append(proc)
        return proc

    def worker(self) -> subprocess.Popen:
        proc = start_worker(self.env, burst=False)
        self.started.append(proc)
        return proc

    def output(self) -> str:
        return "\n".join(
            (proc.stdout.read().decode(errors="replace") if proc.stdout and proc.poll() is not None else "")
            for proc in self.started
        )

    def stop(self) -> str:
        for proc in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        outputs = []
        for proc in self.started:
            try:
                out, _ = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, _ = proc.communicate()
            outputs.append(out.decode(errors="replace"))
        self.started = []
        return "\n----\n".join(outputs)


@pytest.fixture
def processes(env: dict[str, str]) -> Iterator[Processes]:
    procs = Processes(env)
    yield procs
    procs.stop()


def campaign_with(**values: object) -> int:
    from tests.support.hostapp import db

    campaign_id = make_campaign()
    db.session.execute(
        sa.update(BroadcastCampaign.__table__).where(BroadcastCampaign.id == campaign_id).values(**values)
    )
    db.session.commit()
    return campaign_id


def runs_of(campaign_id: int) -> list[BroadcastRun]:
    from tests.support.hostapp import db

    db.session.rollback()
    return list(
        db.session.execute(
            sa.select(BroadcastRun).where(BroadcastRun.campaign_id == campaign_id).order_by(BroadcastRun.fire_time)
        ).scalars()
    )
