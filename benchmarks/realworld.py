"""The real-world lines: a provider's relay across a network, an SMS gateway, each beside its reference.

Every other line sends to a sink on loopback that answers in microseconds. A provider
(SES, SendGrid, Postmark, Mailgun) answers each message in 10-100 ms and an SMS API each
request in 100-300 ms, so what counts there is how many messages are in flight at once.

* **relay** — :class:`benchmarks.sink.Sink` with ``relay_delay`` (aiosmtpd waiting 10 ms,
  then 50 ms, before it answers each message), against a plain sender: pre-rendered
  messages over 16 reused :mod:`smtplib` connections, one thread each, no database;
* **sms** — :mod:`benchmarks.standin` (Twilio's Messages API answering after 100 ms),
  against a plain client making 16 concurrent requests (``requests``, one session per
  thread, no database).

Each reference is measured just before and just after its campaign, the higher figure is
the reference (the conservative ratio).
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from . import reference, standin

#: Connections / concurrent requests of the references (the issue's plain senders).
REFERENCE_CONCURRENCY = 16
#: The relay delays (seconds) and the SMS gateway's.
RELAY_DELAYS = (0.010, 0.050)
SMS_DELAY = 0.100


def _in_threads(count: int, items: list[Any], work: Callable[[Iterator[Any]], None]) -> float:
    """Seconds ``count`` threads take to work through ``items`` (each takes the next one)."""
    lock = threading.Lock()
    source = iter(items)

    def shared() -> Iterator[Any]:
        while True:
            with lock:
                item = next(source, None)
            if item is None:
                return
            yield item

    errors: list[BaseException] = []

    def run() -> None:
        try:
            work(shared())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if errors:
        raise RuntimeError(f"reference sender failed: {errors[0]!r}")
    return elapsed


def relay_reference(port: int, customers: list[tuple[Any, ...]], connections: int = REFERENCE_CONCURRENCY) -> float:
    """Seconds a plain sender takes: pre-rendered messages over ``connections`` smtplib connections."""
    messages = [
        (
            customer[3],
            reference._mime(
                customer[3], reference.render(reference.SUBJECT, customer), reference.render(reference.BODY, customer)
            ),
        )
        for customer in customers
    ]

    def send(items: Iterator[tuple[str, bytes]]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for to, data in items:
                smtp.sendmail(reference.SENDER, [to], data)

    return _in_threads(connections, messages, send)


def sms_reference(port: int, mobiles: list[str], concurrency: int = REFERENCE_CONCURRENCY) -> float:
    """Seconds a plain client takes: one Twilio Messages request per number, ``concurrency`` at a time."""
    import requests

    url = f"http://127.0.0.1:{port}/2010-04-01/Accounts/{standin.ACCOUNT_SID}/Messages.json"

    def send(items: Iterator[str]) -> None:
        with requests.Session() as session:
            for to in items:
                answer = session.post(
                    url,
                    data={"To": to, "From": standin.SENDER, "Body": "Hi"},
                    auth=(standin.ACCOUNT_SID, standin.AUTH_TOKEN),
                    timeout=30,
                )
                answer.raise_for_status()

    return _in_threads(concurrency, mobiles, send)


def line(name: str, delay: float, size: int, record: dict[str, Any], reference_runs: list[float]) -> dict[str, Any]:
    """One real-world line of the results: our campaign's figures beside the best reference run."""
    ours = record.get("messages_per_s")
    best = max(reference_runs) if reference_runs else None
    return {
        "line": name,
        "delay_ms": round(delay * 1000),
        "recipients": size,
        "workers": record.get("workers"),
        "messages_per_s": ours,
        "reference_messages_per_s": round(best, 1) if best else None,
        "reference_runs": [round(r, 1) for r in reference_runs],
        "ratio": round(ours / best, 2) if ours and best else None,
        # From the first message to the last: without the start (materialization, job pick-up),
        # which the reference does not have.
        "sending_messages_per_s": _sending_rate(record, size),
        "campaign": record,
    }


def _sending_rate(record: dict[str, Any], size: int) -> float | None:
    wall, first = record.get("wall_s"), record.get("first_message_s")
    return round(size / (wall - first), 1) if wall and first and wall > first else None


def targets(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 26's targets: each line at least half its reference (the one-connection line is for comparison)."""
    found = []
    for item in lines:
        if "1 connection" in item["line"]:
            continue
        ratio = item.get("ratio")
        found.append(
            {
                "target": f"{item['line']} {item['delay_ms']} ms, {item['workers']} workers: >= 0.5 of the reference",
                "result": "n/a" if ratio is None else ("PASS" if ratio >= 0.5 else "FAIL"),
                "detail": f"ratio={ratio}" if ratio is not None else item["campaign"].get("error", "no figure"),
            }
        )
    return found


def print_lines(lines: list[dict[str, Any]]) -> None:
    if not lines:
        return
    print("\nreal-world lines (each beside its reference, measured in the same run)")
    header = (
        f"{'line':<20} {'delay':>6} {'N':>6} {'wk':>2} {'ours msg/s':>10} {'sending msg/s':>13} "
        f"{'reference msg/s':>16} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for item in lines:
        print(
            f"{item['line']:<20} {item['delay_ms']:>4}ms {item['recipients']:>6,} {item['workers'] or '-':>2} "
            f"{item['messages_per_s'] or '-':>10} {item.get('sending_messages_per_s') or '-':>13} "
            f"{item['reference_messages_per_s'] or '-':>16} {item['ratio'] or '-':>6}"
        )
