"""Child processes of a run (web server, workers) and the peak RSS of each process tree."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil
import requests

MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_children: list[Child] = []


def stop_all_children() -> None:
    """Stop every child still running (atexit, and on SIGTERM/SIGINT of the benchmark).

    A worker left behind from an interrupted run keeps taking jobs from the queue with
    whatever code it loaded: it would silently skew the next run.
    """
    for child in reversed(_children):
        child.stop(timeout=5)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


atexit.register(stop_all_children)
signal.signal(signal.SIGTERM, _terminate)


class Child:
    """A process started in its own session (so stopping it reaches its forks), logged to a file."""

    def __init__(self, name: str, command: list[str], env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - the child writes to it until stop() closes it
        self.process = subprocess.Popen(
            command, env=dict(env), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        _children.append(self)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 10.0) -> None:
        if self in _children:
            _children.remove(self)
        if self.process.poll() is None:
            # SIGTERM to the child only: RQ and gunicorn stop their own forks (warm shutdown).
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_http(url: str, child: Child, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if child.process.poll() is not None:
            raise RuntimeError(f"{child.name} exited ({child.process.returncode}):\n{child.tail()}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{child.name} did not answer {url}:\n{child.tail()}") from None
            time.sleep(0.1)


class RssMonitor:
    """Polls process trees; keeps, per tree, the peak RSS of its largest process and of the sum.

    A forking RQ worker runs each job in a child (the work horse): the horse is in the tree,
    so its memory is seen. Each process's peak is the kernel's own high-water mark
    (``VmHWM`` on Linux), so a peak between two polls is not missed and polling can be
    slow: the monitor is part of the benchmark's CPU, which the campaign shares its two
    cores with. Where there is no ``VmHWM`` the current RSS is polled instead. The sum
    over-counts pages shared after ``fork`` (copy-on-write), so the figure we hold targets
    to is the largest single process.
    """

    def __init__(self, roots: Mapping[str, int], interval: float = 0.25) -> None:
        self.roots = dict(roots)
        self.interval = interval
        self.peak_process = dict.fromkeys(roots, 0)
        self.peak_tree = dict.fromkeys(roots, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-monitor", daemon=True)

    def __enter__(self) -> RssMonitor:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        children = _children_by_parent()
        for name, pid in self.roots.items():
            sizes = [size for size in map(_peak_rss, _tree(pid, children)) if size]
            if sizes:
                self.peak_process[name] = max(self.peak_process[name], max(sizes))
                self.peak_tree[name] = max(self.peak_tree[name], sum(sizes))

    def figures(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "peak_rss_mb": round(self.peak_process[name] / MB, 1),
                "peak_tree_rss_mb": round(self.peak_tree[name] / MB, 1),
            }
            for name in self.roots
        }


def _children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from one walk of the process table.

    On Linux straight from ``/proc/<pid>/stat`` (a third of the CPU of psutil's walk)."""
    children: dict[int, list[int]] = {}
    if not os.path.isdir("/proc/self"):
        for process in psutil.process_iter(["ppid"]):
            children.setdefault(process.info["ppid"], []).append(process.pid)
        return children
    for pid in psutil.pids():
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                line = stat.read()
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            ppid = int(line[line.rindex(b")") + 2 :].split(None, 2)[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(pid)
    return children


def _tree(root: int, children: Mapping[int, list[int]]) -> list[int]:
    tree, index = [root], 0
    while index < len(tree):
        tree.extend(children.get(tree[index], ()))
        index += 1
    return tree


def _peak_rss(pid: int) -> int:
    """The process's peak RSS so far in bytes (``VmHWM``), else its current RSS; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0


def python_command(*args: str) -> list[str]:
    return [sys.executable, *args]


def _tree_cpu_seconds(root: psutil.Process, children: Mapping[int, list[int]]) -> float:
    """CPU seconds of a process tree so far: each live process's own time plus that of the
    children it has reaped (an RQ work horse, a PostgreSQL backend that has exited)."""
    total = 0.0
    for pid in _tree(root.pid, children):
        try:
            times = (root if pid == root.pid else psutil.Process(pid)).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def _server_root(name: str) -> psutil.Process | None:
    """The top process of a local server by process name (the postmaster, redis-server)."""
    for process in psutil.process_iter(["name", "ppid"]):
        try:
            if process.info["name"] != name:
                continue
            parent = process.parent()
            if parent is None or parent.name() != name:
                return process
        except psutil.Error:
            continue
    return None


class CpuMeter:
    """CPU seconds each part of the system spent between enter and :meth:`stop` (or exit).

    Where the cores go during a campaign: the workers, the web server (and the
    benchmark's own sampling through it), PostgreSQL, Redis and the SMTP sink. Counted
    from the kernel's figures, so it costs nothing while the campaign runs. PostgreSQL
    and Redis are found by process name: on a machine where they serve others too, their
    figures include that load.
    """

    def __init__(self, roots: Mapping[str, int]) -> None:
        self.roots: dict[str, psutil.Process] = {}
        for name, pid in roots.items():
            try:
                self.roots[name] = psutil.Process(pid)
            except psutil.Error:
                pass
        for name, process_name in (("postgresql", "postgres"), ("redis", "redis-server")):
            server = _server_root(process_name)
            if server is not None:
                self.roots[name] = server
        self.before: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def __enter__(self) -> CpuMeter:
        children = _children_by_parent()
        self.before = {name: _tree_cpu_seconds(process, children) for name, process in self.roots.items()}
        self.before["benchmark"] = sum(os.times()[:4])  # with reaped children (the limit's processes)
        return self

    def stop(self) -> None:
        """Stop counting here (the campaign completed); a second call changes nothing."""
        if self.spent:
            return
        children = _children_by_parent()
        after = {name: _tree_cpu_seconds(process, children) for name, process in self.roots.items()}
        after["benchmark"] = sum(os.times()[:4])
        self.spent = {name: round(after[name] - self.before[name], 3) for name in after}

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def figures(self, messages: int) -> dict[str, Any]:
        """CPU seconds per part, and microseconds per message (workers summed)."""
        seconds = dict(self.spent)
        workers = sum(v for k, v in seconds.items() if k.startswith("worker"))
        parts = {k: v for k, v in seconds.items() if not k.startswith("worker")}
        parts["workers"] = round(workers, 3)
        per_message = {k: round(v / messages * 1e6, 1) for k, v in parts.items()} if messages else {}
        per_message["total"] = round(sum(parts.values()) / messages * 1e6, 1) if messages else None
        return {"seconds": parts, "us_per_message": per_message}
