"""``make run``: the example product with its worker and scheduler, on the embedded defaults.

Upgrades the database, seeds two organizations, starts one embedded Redis shared by
every process (unless ``REDIS_URL`` is set), a development SMTP sink (unless
``MAIL_SERVER`` is set or something listens on ``MAIL_PORT``; see :mod:`.dev_smtp`), a
broadcasts worker, the scheduler and the web app on ``PORT``; prints a token, a working
``curl`` and the dashboard's URL; stops them all on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

FLASK = [sys.executable, "-m", "flask", "--app", "example_app"]


def flask_output(*args: str, env: dict[str, str]) -> str:
    return subprocess.run([*FLASK, *args], env=env, check=True, capture_output=True, text=True).stdout


def has_command(group_help: str, name: str) -> bool:
    return any(line.strip().startswith(name + " ") or line.strip() == name for line in group_help.splitlines())


WEB_START_TIMEOUT = 60.0


def wait_until_listening(port: int, process: subprocess.Popen[bytes], *, timeout: float) -> bool:
    """Whether something accepts connections on ``127.0.0.1:port`` before ``process`` exits or ``timeout``."""
    from .dev_smtp import port_in_use

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if port_in_use(port, "127.0.0.1"):
            return True
        time.sleep(0.1)
    return False


def main() -> int:
    env = dict(os.environ)
    port = env.get("PORT", "5000")
    # E-mails carry an unsubscribe link built on the public URL: here, the local web app.
    env.setdefault("BROADCASTS_PUBLIC_URL", f"http://127.0.0.1:{port}")
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = flask_output("embedded-redis", env=env).strip().splitlines()[-1]
    subprocess.run([*FLASK, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
    seeded = json.loads(flask_output("seed", "--customers", env.get("SEED_CUSTOMERS", "50"), env=env))
    organization = seeded["organizations"][0]

    sink = None
    if not env.get("MAIL_SERVER"):
        from . import dev_smtp

        mail_port = int(env.get("MAIL_PORT", "8025"))
        if not dev_smtp.port_in_use(mail_port):
            outbox = Path(__file__).resolve().parent.parent / "instance" / "outbox.mbox"
            sink = dev_smtp.start(mail_port, outbox)
            env.update(MAIL_SERVER=dev_smtp.HOST, MAIL_PORT=str(mail_port))
            print(f"mail: development SMTP sink on {dev_smtp.HOST}:{mail_port}, messages in {outbox}", flush=True)

    children: list[subprocess.Popen[bytes]] = []
    broadcasts_help = flask_output("broadcasts", "--help", env=env)
    if has_command(broadcasts_help, "worker"):
        children.append(subprocess.Popen([*FLASK, "broadcasts", "worker", "--with-scheduler"], env=env))
    if has_command(broadcasts_help, "scheduler"):
        children.append(subprocess.Popen([*FLASK, "broadcasts", "scheduler"], env=env))
    web = subprocess.Popen([*FLASK, "run", "--port", port, "--with-threads"], env=env)
    children.append(web)

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        # The line below promises that its curl works: print it once the web app answers
        # (a fixed pause was too short on a slow machine, where importing the app takes seconds).
        if not wait_until_listening(int(port), web, timeout=WEB_START_TIMEOUT):
            print(f"the web app did not start listening on port {port}", file=sys.stderr, flush=True)
            return 1
        print(
            f"token {organization['token']} (organization {organization['id']}) | "
            f"curl -H 'Authorization: Bearer {organization['token']}' -H 'Accept: application/vnd.api+json' "
            f"'http://127.0.0.1:{port}/api/broadcast-campaigns?o={organization['id']}'",
            flush=True,
        )
        print(
            f"dashboard http://127.0.0.1:{port}/dashboard/ (sign in with the token and organization above)",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if sink is not None:
            sink.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
