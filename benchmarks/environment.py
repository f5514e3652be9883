"""The services a run uses (a fresh PostgreSQL database, a Redis db), the seeded tenants, the machine."""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import psutil
import psycopg
import redis
from flask import Flask

ADMIN_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE_NAME = os.environ.get("BENCH_DATABASE", "bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")

FIRST_NAMES = ("Ada", "Alan", "Grace", "Émile", "Chloé", "Jürgen", "Lucía", "Mateo", "Noor", "Yuki")
LAST_NAMES = ("Lovelace", "Turing", "Hopper", "Durand", "Tremblay", "Müller", "García", "Okafor")
LOCALES = ("en", "en", "fr", "fr-CA", "de", "es", None)


def database_url(name: str = DATABASE_NAME) -> str:
    base = ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def recreate_database(name: str = DATABASE_NAME) -> str:
    """Drop and create ``name`` (``WITH (FORCE)`` ends sessions a crashed run left behind)."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def flush_redis(url: str = REDIS_URL) -> None:
    """Empty the run's Redis db, after making sure no process outside this run consumes its queues.

    A worker left behind by an interrupted run would keep taking jobs (with whatever code
    it loaded) and fail or delay them: every figure would be wrong without an error.
    """
    client = redis.Redis.from_url(url)
    db = client.connection_pool.connection_kwargs.get("db", 0)
    consumers = [
        c
        for c in client.client_list()
        if int(c.get("db", -1)) == db and c.get("cmd") in ("blmove", "blpop", "brpoplpush", "blmpop")
    ]
    if consumers:
        addresses = ", ".join(c["addr"] for c in consumers)
        raise RuntimeError(
            f"Redis db {db} of {url} already has queue consumers ({addresses}): a worker from "
            "another run? Stop it, or set BENCH_REDIS_URL to another db."
        )
    client.flushdb()


def process_env(database: str, redis_url: str, mail_port: int, **extra: str) -> dict[str, str]:
    """The environment of every child process (web, workers, flask commands)."""
    env = dict(os.environ)
    env.update(
        FLASK_APP="example_app",
        DATABASE_URL=database,
        REDIS_URL=redis_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mail_port),
        SECRET_KEY="bench-secret-key",
        BROADCASTS_PUBLIC_URL="https://bench.example.test",
        # SMS at any hour: the benchmark measures speed, and the default quiet hours
        # (08:00-21:00 in the recipient's zone) held the SMS line's campaign at night.
        BROADCASTS_SMS_DEFAULT_WINDOW="null",
        PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "example_app", "db", "upgrade"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def make_app(database: str, redis_url: str, mail_port: int) -> Flask:
    from example_app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "REDIS_URL": redis_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": mail_port,
            "SECRET_KEY": "bench-secret-key",
            "BROADCASTS_PUBLIC_URL": "https://bench.example.test",
            "BROADCASTS_SMS_DEFAULT_WINDOW": None,  # as the child processes (process_env)
        }
    )


@dataclass
class Tenant:
    organization_id: int
    token: str
    customers: int


def seed_tenant(app: Flask, customers: int, *, seed: int = 7, mobiles: bool = False) -> Tenant:
    """A new organization with an owner, a token and ``customers`` customers, all with an e-mail address
    (and, with ``mobiles``, a valid French mobile number each).

    Goes through the example app's models and its ``bulk_insert`` (``COPY`` on PostgreSQL).
    """
    from example_app.auth import new_token
    from example_app.extensions import db
    from example_app.models import ApiToken, Customer, Membership, Organization, User, hash_token, utcnow
    from example_app.seed import bulk_insert

    rng = random.Random(seed + customers)
    with app.app_context():
        organization = Organization(name=f"Bench {customers} {dt.datetime.now().isoformat()}")
        db.session.add(organization)
        db.session.flush()
        token = new_token()
        user = User(email=f"owner.bench{organization.id}@example.com", name="Bench owner")
        user.tokens.append(ApiToken(token_hash=hash_token(token), name="bench"))
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, organization_id=organization.id, role="owner"))
        now = utcnow()
        rows = [
            {
                "organization_id": organization.id,
                "first_name": rng.choice(FIRST_NAMES),
                "last_name": rng.choice(LAST_NAMES),
                "email": f"customer{n}.o{organization.id}@example.com",
                "mobile": f"+336{n:08d}" if mobiles else None,
                "locale": rng.choice(LOCALES),
                "status": "active",
                "created_at": now,
            }
            for n in range(customers)
        ]
        bulk_insert(Customer.__table__, rows)
        db.session.commit()
        db.session.execute(db.text("ANALYZE customers"))
        db.session.commit()
        return Tenant(organization.id, token, customers)


def machine(database: str, redis_url: str) -> dict[str, Any]:
    with psycopg.connect(database) as connection:
        pg_version = connection.execute("SHOW server_version").fetchone()[0]
        pg_settings = dict(
            connection.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'shared_buffers')"
            ).fetchall()
        )
    cpu_model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu_model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model,
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "postgresql_settings": pg_settings,
        "redis": redis.Redis.from_url(redis_url).info("server")["redis_version"],
        "commit": _git_commit(),
    }


def _git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
