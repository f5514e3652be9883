"""``make bench`` (``python -m benchmarks.run``): whole campaigns, the limit and the naive way, in one run.

PostgreSQL (a fresh database), Redis (a db other than 0) and a local SMTP sink; the
example app served by gunicorn on a loopback port; real ``flask broadcasts worker``
processes (1, then 2) per campaign. Prints a table and the targets of issue 10 and
writes ``benchmarks/results/latest.json``. ``--sqlite``: the zero-setup default
(SQLite, one worker, 10,000 recipients) instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import psycopg
import redis
from rq import Worker

from . import bodies, campaign_report, environment, realworld, reference, report, standin
from .campaign import Client, create_campaign, deep_cursor_factory, run_to_completion, sqlite_deep_cursor_factory
from .procs import Child, CpuMeter, RssMonitor, free_port, wait_http
from .sink import Sink

RESULTS = Path(__file__).resolve().parent / "results"
FLASK = [sys.executable, "-m", "flask", "--app", "example_app"]
# The naive line is measured this many times; its median is the figure (see run_postgres).
NAIVE_RUNS = 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="Recipients per campaign (comma-separated).")
    parser.add_argument("--workers", default="1,2", help="Worker processes per campaign (comma-separated).")
    parser.add_argument("--naive-size", type=int, default=2000, help="Recipients of the naive line.")
    parser.add_argument(
        "--limit-size", type=int, default=None, help="Recipients of the limit line (default: largest size)."
    )
    parser.add_argument("--no-reference", action="store_true", help="Skip the limit and naive lines.")
    parser.add_argument(
        "--real-world",
        choices=("on", "off", "only"),
        default="on",
        help="The relay (10 and 50 ms) and SMS (100 ms) lines beside their references; 'only' skips the loopback lines.",
    )
    parser.add_argument("--real-world-size", type=int, default=2000, help="Recipients of each real-world line.")
    parser.add_argument(
        "--relay-delays",
        default=",".join(str(round(d * 1000)) for d in realworld.RELAY_DELAYS),
        help="Relay delays (ms, comma-separated) of the real-world lines; '' runs none.",
    )
    parser.add_argument("--no-sms-line", action="store_true", help="Skip the real-world SMS line.")
    parser.add_argument(
        "--no-one-connection-line", action="store_true", help="Skip the relay line with one connection per worker."
    )
    parser.add_argument(
        "--bodies",
        default=",".join(map(str, bodies.SIZES_KB)),
        help="Newsletter body sizes in KB for the body lines (ours, limit and naive alike); '' skips them.",
    )
    parser.add_argument(
        "--body-size", type=int, default=None, help="Recipients of each body line (default: the largest size)."
    )
    parser.add_argument("--real-world-workers", type=int, default=2, help="Worker processes of the real-world lines.")
    parser.add_argument(
        "--sqlite", action="store_true", help="SQLite default mode: 1 worker, --sqlite-size recipients."
    )
    parser.add_argument("--sqlite-size", type=int, default=10_000)
    parser.add_argument(
        "--report-size",
        type=int,
        default=100_000,
        help="Messages of the campaign whose report is timed (issue 37; seeded directly; 0 skips the line).",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="Seconds one campaign may take.")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes.")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="Run workers under pyinstrument (benchmarks.profiled_worker), one report per job in this folder.",
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--logs", type=Path, default=RESULTS / "logs", help="Where child process logs go.")
    return parser.parse_args(argv)


def _ints(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def start_web(env: dict[str, str], logs: Path, web_workers: int) -> tuple[Child, str]:
    port = free_port()
    web = Child(
        "web",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(web_workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "example_app:create_app()",
        ],
        env,
        logs,
    )
    base_url = f"http://127.0.0.1:{port}"
    wait_http(f"{base_url}/api/broadcasts-docs/openapi.json", web)
    return web, base_url


def start_workers(
    count: int, env: dict[str, str], logs: Path, label: str, redis_url: str, profile: Path | None = None
) -> list[Child]:
    connection = redis.Redis.from_url(redis_url)
    before = Worker.count(connection=connection)
    workers = []
    for i in range(count):
        name = f"bench-{label}-{i + 1}-{time.time_ns()}"
        if profile:
            command = [sys.executable, "-m", "benchmarks.profiled_worker", str(profile / label), name]
        else:
            command = [*FLASK, "broadcasts", "worker", "--name", name]
        workers.append(Child(f"worker-{label}-{i + 1}", command, env, logs))
    deadline = time.monotonic() + 60
    while Worker.count(connection=connection) < before + count:
        for worker in workers:
            if worker.process.poll() is not None:
                raise RuntimeError(f"{worker.name} exited:\n{worker.tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError("workers did not register in Redis:\n" + "\n".join(w.tail() for w in workers))
        time.sleep(0.1)
    return workers


def run_campaign(
    client: Client,
    sink: Sink,
    web: Child,
    env: dict[str, str],
    args: argparse.Namespace,
    size: int,
    workers: int,
    redis_url: str,
    deep_cursor: Any,
    *,
    label: str = "",
    channels: tuple[str, ...] = ("mail",),
    body: str | None = None,
) -> dict[str, Any]:
    label = label or f"{size}x{workers}"
    record: dict[str, Any] = {"recipients": size, "workers": workers}
    started_workers: list[Child] = []
    try:
        campaign_id = create_campaign(client, label, channels, **({"body": body} if body is not None else {}))
        record["campaign_id"] = campaign_id
        started_workers = start_workers(workers, env, args.logs, label, redis_url, args.profile)
        roots = {"web": web.pid, **{f"worker{i + 1}": w.pid for i, w in enumerate(started_workers)}}
        with RssMonitor(roots) as monitor, CpuMeter({**roots, "sink": sink.process.pid}) as cpu:
            record.update(
                run_to_completion(
                    client, campaign_id, sink, size, deep_cursor(campaign_id), args.timeout, on_completed=cpu.stop
                )
            )
        record["rss"] = monitor.figures()
        record["cpu"] = cpu.figures(size)
    except Exception as exc:  # one failed campaign must not lose the rest of the run
        record["error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        for worker in started_workers:
            worker.stop()
    print(
        f"  campaign {label}: "
        + (
            record.get("error")
            or f"{record['wall_s']:.2f} s, {record['messages_per_s']:.0f} msg/s, status={record['status']}, "
            f"sent={record['sent_count']} failed={record['failed_count']} sink={record['sink_received']}"
        ),
        flush=True,
    )
    return record


def reference_campaign(app: Any, tenant: environment.Tenant, label: str) -> int:
    """A campaign row the reference lines' messages belong to (never started)."""
    from example_app.extensions import db
    from flask_broadcasts.models import BroadcastAudience, BroadcastCampaign, BroadcastTemplate

    with app.app_context():
        organization = str(tenant.organization_id)
        template = BroadcastTemplate(
            organization_id=organization, name=label, subject=reference.SUBJECT, body=reference.BODY, channels=["mail"]
        )
        audience = BroadcastAudience(organization_id=organization, name=label, audience_type="customers", filters={})
        db.session.add_all([template, audience])
        db.session.flush()
        campaign = BroadcastCampaign(
            organization_id=organization, name=label, template_id=template.id, audience_id=audience.id
        )
        db.session.add(campaign)
        db.session.commit()
        return campaign.id


def customers_of(database: str, tenant: environment.Tenant, limit: int) -> list[tuple[Any, ...]]:
    with psycopg.connect(database) as connection:
        return connection.execute(
            "SELECT id, first_name, last_name, email FROM customers WHERE organization_id = %s ORDER BY id LIMIT %s",
            (tenant.organization_id, limit),
        ).fetchall()


def measure_limit(
    app: Any,
    database: str,
    tenant: environment.Tenant,
    sink: Sink,
    size: int,
    cpu_figures: list[dict[str, Any]],
    body: str = reference.BODY,
    *,
    recorded: bool = False,
) -> float:
    """The limit line's msg/s; ``recorded``: the limit with records (:mod:`benchmarks.reference`)."""
    name = "limit with records" if recorded else "limit"
    campaign_id = reference_campaign(app, tenant, f"{name} {size}")
    customers = customers_of(database, tenant, size)
    sink.mark()
    with CpuMeter({"sink": sink.process.pid}) as cpu:
        elapsed = reference.run_limit(
            database, campaign_id, str(tenant.organization_id), customers, sink.port, body=body, recorded=recorded
        )
    cpu_figures.append(cpu.figures(len(customers)))
    if not sink.wait_for(len(customers), timeout=10):
        raise RuntimeError(f"{name}: the sink got {sink.since_mark()} of {len(customers)} messages")
    rate = len(customers) / elapsed
    print(f"  {name}: {len(customers):,} in {elapsed:.2f} s = {rate:,.0f} msg/s", flush=True)
    return rate


def measure_naive(
    app: Any,
    database: str,
    redis_url: str,
    sink: Sink,
    tenant: environment.Tenant,
    size: int,
    body: str = reference.BODY,
) -> dict[str, Any]:
    """The naive line, ``NAIVE_RUNS`` times: one short run of a single process swings by half
    between runs on this machine (279 and 436 msg/s the same day), so the median is the figure."""
    customers = customers_of(database, tenant, size)
    naive_runs = []
    for number in range(NAIVE_RUNS):
        campaign_id = reference_campaign(app, tenant, f"naive {number + 1}")
        sink.mark()
        elapsed, timed = reference.run_naive(
            database, redis_url, sink.port, campaign_id, str(tenant.organization_id), customers, body=body
        )
        naive_runs.append(
            {
                "timed": timed,
                "wall_s": round(elapsed, 3),
                "messages_per_s": round(timed / elapsed, 1),
                "sink_received": sink.since_mark(),
            }
        )
        print(f"  naive: {timed:,} in {elapsed:.2f} s = {timed / elapsed:,.0f} msg/s", flush=True)
    median = sorted(naive_runs, key=lambda run: run["messages_per_s"])[len(naive_runs) // 2]
    return {
        "recipients": len(customers),
        "processes": 1,
        **median,
        "runs": [run["messages_per_s"] for run in naive_runs],
    }


def run_postgres(args: argparse.Namespace, sink: Sink, results: dict[str, Any]) -> None:
    sizes, worker_counts = _ints(args.sizes), _ints(args.workers)
    database = environment.recreate_database()
    redis_url = environment.REDIS_URL
    environment.flush_redis(redis_url)
    env = environment.process_env(database, redis_url, sink.port)
    environment.migrate(env)
    results["machine"] = environment.machine(database, redis_url)
    app = environment.make_app(database, redis_url, sink.port)
    tenants = {}
    if args.real_world == "only":
        sizes, args.no_reference = [], True
    body_kb = [] if args.no_reference else _ints(args.bodies)
    body_size = args.body_size or max(sizes, default=0)
    extra = [] if args.no_reference else [args.limit_size or max(sizes), args.naive_size]
    for size in sorted(set(sizes + extra + ([body_size] if body_kb else []))):
        started = time.monotonic()
        tenants[size] = environment.seed_tenant(app, size)
        print(f"  seeded {size:,} customers in {time.monotonic() - started:.1f} s", flush=True)

    if args.report_size:
        # Seeded directly (not sent): the line times the report, not the sending.
        results["report"] = campaign_report.measure(app, environment.seed_tenant(app, 0), args.report_size)
        campaign_report.print_line(results["report"])

    limit_size = args.limit_size or max(sizes, default=0)
    limit_runs: list[float] = []
    limit_cpu: list[dict[str, Any]] = []
    recorded_runs: list[float] = []
    recorded_cpu: list[dict[str, Any]] = []
    if not args.no_reference:
        limit_runs.append(measure_limit(app, database, tenants[limit_size], sink, limit_size, limit_cpu))
        recorded_runs.append(
            measure_limit(app, database, tenants[limit_size], sink, limit_size, recorded_cpu, recorded=True)
        )
        results["naive"] = measure_naive(app, database, redis_url, sink, tenants[args.naive_size], args.naive_size)

    web, base_url = start_web(env, args.logs, args.web_workers)
    try:
        if args.real_world != "off":
            results["real_world"] = run_real_world(args, app, database, redis_url, web, base_url)
        for size in sizes if args.real_world != "only" else []:
            client = Client(base_url, tenants[size])
            for workers in worker_counts:
                results["campaigns"].append(
                    run_campaign(
                        client,
                        sink,
                        web,
                        env,
                        args,
                        size,
                        workers,
                        redis_url,
                        lambda campaign_id, c=client, n=size: deep_cursor_factory(c, campaign_id, database, n),
                    )
                )
        if body_kb:
            results["newsletter"] = run_bodies(
                args, app, database, redis_url, sink, web, env, base_url, tenants, body_size, tuple(body_kb)
            )
    finally:
        web.stop()

    if not args.no_reference:
        # Measured again after the campaigns; the higher of the two is the limit (the conservative ratio).
        recorded_runs.append(
            measure_limit(app, database, tenants[limit_size], sink, limit_size, recorded_cpu, recorded=True)
        )
        limit_runs.append(measure_limit(app, database, tenants[limit_size], sink, limit_size, limit_cpu))
        results["limit"] = _reference_line(limit_size, limit_runs, limit_cpu)
        results["limit"]["noisy"] = max(limit_runs) < report.NOISY_LIMIT
        results["recorded_limit"] = _reference_line(limit_size, recorded_runs, recorded_cpu)


def _reference_line(recipients: int, runs: list[float], cpu: list[dict[str, Any]]) -> dict[str, Any]:
    """A reference line measured around the campaigns: the higher of its runs counts (the conservative ratio)."""
    return {
        "recipients": recipients,
        "processes": 2,
        "messages_per_s": round(max(runs), 1),
        "runs": [round(r, 1) for r in runs],
        "cpu": cpu,
    }


def run_bodies(
    args: argparse.Namespace,
    app: Any,
    database: str,
    redis_url: str,
    sink: Sink,
    web: Child,
    env: dict[str, str],
    base_url: str,
    tenants: dict[int, environment.Tenant],
    size: int,
    sizes_kb: tuple[int, ...],
) -> list[dict[str, Any]]:
    """The newsletter lines (:mod:`benchmarks.bodies`) on ``size`` recipients, two workers."""
    tenant = tenants[size]
    client = Client(base_url, tenant)

    def ours(body: str, label: str) -> dict[str, Any]:
        return run_campaign(
            client,
            sink,
            web,
            env,
            args,
            size,
            2,
            redis_url,
            lambda campaign_id: deep_cursor_factory(client, campaign_id, database, size),
            label=label,
            body=body,
        )

    def limit(body: str, recipients: int, recorded: bool) -> float:
        return measure_limit(app, database, tenant, sink, recipients, [], body=body, recorded=recorded)

    def naive(body: str) -> float:
        figures = measure_naive(app, database, redis_url, sink, tenants[args.naive_size], args.naive_size, body=body)
        return float(figures["messages_per_s"])

    return bodies.run_lines(database, size, ours=ours, limit=limit, naive=naive, sizes_kb=sizes_kb)


def run_real_world(
    args: argparse.Namespace, app: Any, database: str, redis_url: str, web: Child, base_url: str
) -> list[dict[str, Any]]:
    """The relay lines (10 ms, 50 ms) and the SMS line (100 ms), each between two runs of its reference."""
    size, workers = args.real_world_size, args.real_world_workers
    mail_tenant = environment.seed_tenant(app, size, seed=26)
    sms_tenant = environment.seed_tenant(app, size, seed=27, mobiles=True)
    customers = customers_of(database, mail_tenant, size)
    lines = []

    def campaign(sink: Sink, env: dict[str, str], tenant: environment.Tenant, label: str, channels: Any) -> Any:
        client = Client(base_url, tenant)
        return run_campaign(
            client,
            sink,
            web,
            env,
            args,
            size,
            workers,
            redis_url,
            lambda campaign_id, c=client: deep_cursor_factory(c, campaign_id, database, size),
            label=label,
            channels=channels,
        )

    def reference_run(sink: Sink, send: Any) -> float:
        sink.mark()
        elapsed = send()
        if not sink.wait_for(size, timeout=30):
            raise RuntimeError(f"reference: the server got {sink.since_mark()} of {size}")
        print(f"  reference: {size:,} in {elapsed:.2f} s = {size / elapsed:,.0f} msg/s", flush=True)
        return size / elapsed

    for delay in [int(ms) / 1000 for ms in args.relay_delays.split(",") if ms.strip()]:
        relay = Sink(free_port(), relay_delay=delay)
        try:
            env = environment.process_env(database, redis_url, relay.port)
            runs = [reference_run(relay, lambda r=relay: realworld.relay_reference(r.port, customers))]
            record = campaign(relay, env, mail_tenant, f"relay {delay * 1000:.0f} ms", ("mail",))
            if delay == realworld.RELAY_DELAYS[0] and not args.no_one_connection_line:
                # One connection per send job, as before 0.2: the line the issue started from.
                one = {**env, "BROADCASTS_MAIL_CONNECTIONS": "1"}
                single = campaign(relay, one, mail_tenant, f"relay {delay * 1000:.0f} ms, 1 connection", ("mail",))
            runs.append(reference_run(relay, lambda r=relay: realworld.relay_reference(r.port, customers)))
            lines.append(realworld.line("relay", delay, size, record, runs))
            if delay == realworld.RELAY_DELAYS[0] and not args.no_one_connection_line:
                lines.append(realworld.line("relay, 1 connection", delay, size, single, runs))
        finally:
            relay.close()
    if args.no_sms_line:
        return lines
    port = free_port()
    gateway = Sink(
        port,
        command=standin.command(port, realworld.SMS_DELAY),
        kind=f"Twilio stand-in answering after {realworld.SMS_DELAY * 1000:.0f} ms (benchmarks/standin.py)",
    )
    try:
        env = environment.process_env(database, redis_url, free_port(), **standin.settings(port))
        mobiles = [f"+336{n:08d}" for n in range(size)]
        runs = [reference_run(gateway, lambda: realworld.sms_reference(port, mobiles))]
        record = campaign(gateway, env, sms_tenant, "sms 100 ms", ("sms",))
        runs.append(reference_run(gateway, lambda: realworld.sms_reference(port, mobiles)))
        lines.append(realworld.line("sms", realworld.SMS_DELAY, size, record, runs))
    finally:
        gateway.close()
    return lines


def run_sqlite(args: argparse.Namespace, sink: Sink, results: dict[str, Any]) -> None:
    size = args.sqlite_size
    directory = Path(tempfile.mkdtemp(prefix="broadcasts-bench-sqlite-"))
    path = directory / "bench.db"
    database = f"sqlite:///{path}"
    redis_url = environment.REDIS_URL
    environment.flush_redis(redis_url)
    env = environment.process_env(database, redis_url, sink.port)
    environment.migrate(env)
    results.setdefault("machine", environment.machine(environment.ADMIN_URL, redis_url))
    app = environment.make_app(database, redis_url, sink.port)
    tenant = environment.seed_tenant(app, size)
    web, base_url = start_web(env, args.logs, args.web_workers)
    try:
        client = Client(base_url, tenant)
        record = run_campaign(
            client,
            sink,
            web,
            env,
            args,
            size,
            1,
            redis_url,
            lambda campaign_id: sqlite_deep_cursor_factory(client, campaign_id, str(path), size),
        )
        record["database"] = "sqlite"
        results["sqlite"] = record
    finally:
        web.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.logs.mkdir(parents=True, exist_ok=True)
    sink = Sink(free_port())
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sink": sink.kind,
        "campaigns": [],
        "notes": [],
    }
    try:
        if args.sqlite:
            run_sqlite(args, sink, results)
        else:
            run_postgres(args, sink, results)
            results["notes"].append(
                f"naive measured on {args.naive_size:,} recipients (at 100,000 it would take minutes); "
                "msg/s is size-independent for it"
            )
    finally:
        sink.close()
    results["targets"] = (
        report.check_targets(results)
        + realworld.targets(results.get("real_world", []))
        + bodies.targets(results.get("newsletter", []))
        + [campaign_report.target(results.get("report"))]
    )
    report.print_report(results)
    realworld.print_lines(results.get("real_world", []))
    bodies.print_lines(results.get("newsletter", []))
    campaign_report.print_line(results.get("report"))
    output = args.output
    if args.sqlite and output == RESULTS / "latest.json":
        output = RESULTS / "latest-sqlite.json"
    report.write(results, output)
    print(f"\nwritten to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
