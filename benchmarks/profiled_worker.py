"""A broadcasts worker whose jobs run under a profiler: ``python -m benchmarks.profiled_worker OUT_DIR``.

py-spy cannot read another process's memory in some sandboxes (gVisor), so the
profiler runs inside the work horse: each job writes ``OUT_DIR/<job>.txt``, and each of its
lanes (threads of their own) ``OUT_DIR/<job>-lane<N>.txt``.
``python -m benchmarks.run --profile DIR`` starts its workers this way.

``BENCH_PROFILER=cpu`` profiles with :mod:`cProfile` on each thread's CPU clock instead
(``OUT_DIR/<job>.cpu.txt``, sorted by own time, and ``.prof`` for :mod:`pstats`): pyinstrument samples wall time, which on
a loaded machine charges every function for the time the scheduler gave to others. The
job's lanes (:mod:`flask_broadcasts.engine.lanes`) are threads of their own: each is
profiled on its own clock, and their profiles are added to the job's.
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
from flask_broadcasts.engine import lanes
from flask_broadcasts.state import get_state


class ProfiledWorker(BroadcastsWorker):
    out_dir: Path

    def perform_job(self, job: Any, queue: Any, *args: Any, **kwargs: Any) -> bool:
        if os.environ.get("BENCH_PROFILER") == "cpu":
            return self._perform_on_cpu_clock(job, queue, *args, **kwargs)
        stem = self.out_dir / f"{job.id.replace(':', '_')}"
        run_lane = lanes._lane_in_context
        lane_numbers = iter(range(1, 1_000))

        def profiled_lane(*lane_args: Any) -> None:
            # pyinstrument follows the thread that started it: each lane gets its own report.
            lane_profiler = Profiler(interval=0.0005)
            lane_profiler.start()
            try:
                run_lane(*lane_args)
            finally:
                lane_profiler.stop()
                report = lane_profiler.output_text(unicode=False, color=False, show_all=False)
                Path(f"{stem}-lane{next(lane_numbers)}.txt").write_text(report)

        lanes._lane_in_context = profiled_lane  # type: ignore[assignment]
        profiler = Profiler(interval=0.0005)
        profiler.start()
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            profiler.stop()
            lanes._lane_in_context = run_lane
            stem.with_suffix(".txt").write_text(profiler.output_text(unicode=False, color=False, show_all=False))

    def _perform_on_cpu_clock(self, job: Any, queue: Any, *args: Any, **kwargs: Any) -> bool:
        lane_profiles: list[cProfile.Profile] = []
        run_lane = lanes._lane_in_context

        def profiled_lane(*lane_args: Any) -> None:
            lane_profiler = cProfile.Profile(time.thread_time)
            lane_profiles.append(lane_profiler)
            lane_profiler.runcall(run_lane, *lane_args)

        lanes._lane_in_context = profiled_lane  # type: ignore[assignment]
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            profiler.disable()
            lanes._lane_in_context = run_lane
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            for lane_profiler in lane_profiles:
                stats.add(lane_profiler)
            stats.dump_stats(self.out_dir / f"{job.id.replace(':', '_')}.prof")
            print(f"{len(lane_profiles)} lanes profiled", file=out)
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
