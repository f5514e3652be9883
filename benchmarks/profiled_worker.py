"""A broadcasts worker whose jobs run under a profiler: ``python -m benchmarks.profiled_worker OUT_DIR``.

py-spy cannot read another process's memory in some sandboxes (gVisor), so the
profiler runs inside the work horse: each job writes ``OUT_DIR/<pid>-<job>.txt``
``python -m benchmarks.run --profile DIR`` starts its workers this way.

``BENCH_PROFILER=cpu`` profiles with :mod:`cProfile` on the job thread's CPU clock instead
(``OUT_DIR/<job>.cpu.txt``, sorted by own time, and ``.prof`` for :mod:`pstats`): pyinstrument samples wall time, which on
a loaded machine charges every function for the time the scheduler gave to others.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from flask.cli import ScriptInfo
from pyinstrument import Profiler

from flask_broadcasts.background.queues import get_queue
from flask_broadcasts.background.worker import BroadcastsWorker
from flask_broadcasts.state import get_state


class ProfiledWorker(BroadcastsWorker):
    out_dir: Path

    def perform_job(self, job: Any, queue: Any, *args: Any, **kwargs: Any) -> bool:
        if os.environ.get("BENCH_PROFILER") == "cpu":
            return self._perform_on_cpu_clock(job, queue, *args, **kwargs)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            profiler.stop()
            stem = self.out_dir / f"{job.id.replace(':', '_')}"
            stem.with_suffix(".txt").write_text(profiler.output_text(unicode=False, color=False, show_all=False))

    def _perform_on_cpu_clock(self, job: Any, queue: Any, *args: Any, **kwargs: Any) -> bool:
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            profiler.disable()
            profiler.dump_stats(self.out_dir / f"{job.id.replace(':', '_')}.prof")
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(45)
            stats.sort_stats("cumulative").print_stats(60)
            (self.out_dir / f"{job.id.replace(':', '_')}.cpu.txt").write_text(out.getvalue())


def main() -> None:
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    app = ScriptInfo(app_import_path=os.environ.get("FLASK_APP", "example_app")).load_app()
    with app.app_context():
        state = get_state(app)
        ProfiledWorker.out_dir = out_dir
        worker = ProfiledWorker(
            [get_queue(state)], connection=state.redis, app=app, name=sys.argv[2] if len(sys.argv) > 2 else None
        )
        worker.work(with_scheduler=True)  # in the app context, as ``flask broadcasts worker`` runs it


if __name__ == "__main__":
    main()
