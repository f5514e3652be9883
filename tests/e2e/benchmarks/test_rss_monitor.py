"""The benchmark's peak RSS sees a work horse's peak even when it falls between two polls (real
processes: a child forks a grandchild that fills 100 MB, so it runs with the e2e tests)."""

from __future__ import annotations

import subprocess
import sys

from benchmarks.procs import RssMonitor

# Forks a child (like an RQ work horse) that fills 100 MB, frees it, says so, and waits
# on stdin; the parent waits for it.
SPIKE_IN_A_CHILD = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    block = b'\\x01' * 100_000_000\n"
    "    del block\n"
    "    print('freed', flush=True)\n"
    "    sys.stdin.read()\n"
    "    os._exit(0)\n"
    "os.waitpid(pid, 0)\n"
)


def test_a_childs_peak_between_polls_is_the_trees_peak():
    process = subprocess.Popen([sys.executable, "-c", SPIKE_IN_A_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        # Polls only on enter and on exit: the 100 MB are gone by then.
        with RssMonitor({"worker1": process.pid}, interval=3600) as monitor:
            assert process.stdout.readline() == b"freed\n"
    finally:
        process.communicate(b"")
    figures = monitor.figures()["worker1"]
    assert figures["peak_rss_mb"] >= 95, figures
    assert figures["peak_tree_rss_mb"] >= figures["peak_rss_mb"]
