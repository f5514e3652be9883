"""Real RQ worker processes (``flask broadcasts worker``) and a Redis event subscriber process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOSTAPP = "tests.support.hostapp:create_app"


def worker_env(env: dict[str, str], app: str = HOSTAPP) -> dict[str, str]:
    full = dict(os.environ)
    full.update(env)
    full["PYTHONPATH"] = str(ROOT)
    full["FLASK_APP"] = app
    return full


def start_worker(
    env: dict[str, str],
    *,
    burst: bool = True,
    with_scheduler: bool = False,
    rq_cli: bool = False,
    app: str = HOSTAPP,
) -> subprocess.Popen:
    """A worker process of the host ``app`` (``module:factory``) with ``env`` added to ours."""
    if rq_cli:
        # Plain RQ CLI with the documented worker class, on the test's BROADCASTS_QUEUE.
        queue = json.loads(env.get("BCAST_TEST_CONFIG") or "{}").get("BROADCASTS_QUEUE", "broadcasts")
        args = [
            sys.executable,
            "-m",
            "rq.cli",
            "worker",
            "-w",
            "flask_broadcasts.background.worker.BroadcastsWorker",
            "--url",
            env["REDIS_URL"],
            queue,
        ]
        if burst:
            args.append("--burst")
    else:
        args = [sys.executable, "-m", "flask", "broadcasts", "worker"]
        if burst:
            args.append("--burst")
        if with_scheduler:
            args.append("--with-scheduler")
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=worker_env(env, app),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> str:
    """Stop a process started in a session of its own (SIGTERM to its group); its output."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return (out or b"").decode(errors="replace")


def run_workers(env: dict[str, str], count: int = 1, timeout: float = 90) -> list[str]:
    procs = [start_worker(env) for _ in range(count)]
    outputs = []
    for proc in procs:
        out, _ = proc.communicate(timeout=timeout)
        outputs.append(out.decode(errors="replace"))
    return outputs


SUBSCRIBER = r"""
import json, sys, redis
r = redis.Redis.from_url(sys.argv[1])
p = r.pubsub()
p.subscribe(sys.argv[2])
for m in p.listen():
    if m["type"] == "subscribe":
        print("READY", flush=True)
        continue
    if m["type"] != "message":
        continue
    print(m["data"].decode(), flush=True)
    doc = json.loads(m["data"])
    if doc["data"]["attributes"]["status"] == "completed" and sys.argv[3] == "first-completion":
        break
"""


def start_subscriber(redis_url: str, channel: str, *, until_completed: bool = True) -> subprocess.Popen:
    """A process printing each event of ``channel``, one per line, until the first ``completed``
    one (or, ``until_completed=False``, until :func:`events_heard` ends it)."""
    until = "first-completion" if until_completed else "ended"
    proc = subprocess.Popen(
        [sys.executable, "-c", SUBSCRIBER, redis_url, channel, until],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdout.readline().decode().strip() == "READY"
    return proc


def events_heard(subscriber: subprocess.Popen, settle: float = 0.5) -> list[dict]:
    """The events a subscriber started with ``until_completed=False`` printed, ``settle``
    seconds after the caller's processes ended (a late event has that long to arrive)."""
    time.sleep(settle)
    os.killpg(subscriber.pid, signal.SIGTERM)
    out, _ = subscriber.communicate(timeout=10)
    return [json.loads(line) for line in out.decode().splitlines()]


def stop_workers(workers: list[subprocess.Popen]) -> str:
    """End long-running workers and their work horses (each leads a session of its own); their output."""
    import signal

    out = []
    for worker in workers:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out.append(worker.communicate(timeout=15)[0].decode(errors="replace"))
    return "\n=====\n".join(out)


def wait_for(predicate, timeout: float, what: str):  # noqa: ANN001, ANN201
    """Poll ``predicate`` until it returns something true (returned), or fail after ``timeout`` s."""
    import time

    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value
