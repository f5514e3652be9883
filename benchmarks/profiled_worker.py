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
import functools
import io
import itertools
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask.cli import ScriptInfo
from pyinstrument import Profiler

from flask_broadcasts.background.queues import get_queue
from flask_broadcasts.background.worker import BroadcastsWorker
from flask_broadcasts.engine import lanes
from flask_broadcasts.state import get_state


@contextmanager
def _lanes_under(profiled: Callable[..., None]) -> Iterator[None]:
    """Run each lane of the job as ``profiled(run_lane, *lane_args)``: the lanes are threads of
    their own, which a profiler started in the job's thread does not see."""
    run_lane = lanes._lane_in_context
    lanes._lane_in_context = functools.partial(profiled, run_lane)  # type: ignore[assignment]
    try:
        yield
    finally:
        lanes._lane_in_context = run_lane


class ProfiledWorker(BroadcastsWorker):
    out_dir: Path

    def perform_job(self, job: Any, queue: Any, *args: Any, **kwargs: Any) -> bool:
        stem = self.out_dir / job.id.replace(":", "_")
        if os.environ.get("BENCH_PROFILER") == "cpu":
            return self._perform_on_cpu_clock(stem, job, queue, *args, **kwargs)
        lane_numbers = itertools.count(1)

        def profiled_lane(run_lane: Callable[..., None], *lane_args: Any) -> None:
            # pyinstrument follows the thread that started it: each lane gets its own report.
            lane_profiler = Profiler(interval=0.0005)
            lane_profiler.start()
            try:
                run_lane(*lane_args)
            finally:
                lane_profiler.stop()
                report = lane_profiler.output_text(unicode=False, color=False, show_all=False)
                Path(f"{stem}-lane{next(lane_numbers)}.txt").write_text(report)

        profiler = Profiler(interval=0.0005)
        with _lanes_under(profiled_lane):
            profiler.start()
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                profiler.stop()
                stem.with_suffix(".txt").write_text(profiler.output_text(unicode=False, color=False, show_all=False))

    def _perform_on_cpu_clock(self, stem: Path, job: Any, queue: Any, *args: Any, **kwargs: Any) -> bool:
        lane_profiles: list[cProfile.Profile] = []

        def profiled_lane(run_lane: Callable[..., None], *lane_args: Any) -> None:
            lane_profiler = cProfile.Profile(time.thread_time)
            lane_profiles.append(lane_profiler)
            lane_profiler.runcall(run_lane, *lane_args)

        profiler = cProfile.Profile(time.thread_time)
        with _lanes_under(profiled_lane):
            profiler.enable()
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                for lane_profiler in lane_profiles:
                    stats.add(lane_profiler)
                stats.dump_stats(f"{stem}.prof")
                print(f"{len(lane_profiles)} lanes profiled", file=out)
                stats.sort_stats("tottime").print_stats(45)
                stats.sort_stats("cumulative").print_stats(60)
                Path(f"{stem}.cpu.txt").write_text(out.getvalue())


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
