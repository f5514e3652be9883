"""The benchmark's CPU figures count a process tree's work, including children it reaped (real
processes burning CPU: it runs with the e2e tests)."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from benchmarks.procs import CpuMeter

# Burns about 0.3 s of CPU in a child it waits for (so the child is reaped, like an RQ
# work horse), then about 0.3 s itself.
BURN = (
    "import subprocess, sys, time\n"
    "spin = 'import time\\nend = time.process_time() + 0.3\\nwhile time.process_time() < end: pass'\n"
    "subprocess.run([sys.executable, '-c', spin], check=True)\n"
    "end = time.process_time() + 0.3\n"
    "while time.process_time() < end: pass\n"
    "sys.stdin.read()\n"
)


def test_a_tree_is_charged_its_own_cpu_and_that_of_the_children_it_reaped():
    process = subprocess.Popen([sys.executable, "-c", BURN], stdin=subprocess.PIPE)
    try:
        with CpuMeter({"worker1": process.pid}) as meter:
            # Until both burns are done (the process then blocks reading stdin).
            tree = psutil.Process(process.pid)
            deadline = time.monotonic() + 30
            while sum(tree.cpu_times()[:4]) < 0.55 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        process.communicate(b"")
    figures = meter.figures(messages=1000)
    assert 0.5 <= figures["seconds"]["workers"] < 2.0, figures
    assert figures["us_per_message"]["workers"] == round(figures["seconds"]["workers"] / 1000 * 1e6, 1)
    assert figures["us_per_message"]["total"] >= figures["us_per_message"]["workers"]
