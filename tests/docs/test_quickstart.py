"""The quickstart's curl requests (``docs/examples/quickstart.sh``), replayed through the
example app's test client with a real RQ worker and SMTP server.

Each section of the script is expanded by bash itself, with ``curl`` replaced by a
function that prints its arguments, so what runs here is exactly what the page shows.
The answers must have the statuses and the shapes of the captured ones the page shows
(``docs/examples/captured/*.json``, from a real run).
"""

from __future__ import annotations

import json
import random
import shutil
from typing import Any

import pytest
from flask import Flask

from example_app.seed import seed
from tests.support.docs import EXAMPLES, replay_quickstart, shape
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def test_quickstart_requests_work_as_shown(example_app: Flask, smtp: SmtpServer) -> None:
    # A fixed draw: with random data, the first listed message is sometimes a customer
    # with no e-mail address (failed, no_channel) where the captured answer shows a sent one.
    organization = seed(50, rng=random.Random(20261126))["organizations"][0]
    answers: dict[str, dict[str, Any]] = {}

    for name, _, response in replay_quickstart(example_app, organization):
        assert response.status_code in (200, 201), (name, response.get_json())
        assert response.headers["Content-Type"] == "application/vnd.api+json"
        answers[name] = document = response.get_json()
        captured = json.loads((EXAMPLES / "captured" / f"{name}.json").read_text())
        assert shape(document) == shape(captured), name

    assert answers["preview"]["meta"]["recipient_count"] == answers["audience"]["data"]["meta"]["member_count"]
    done = answers["progress"]["data"]["attributes"]
    assert done["status"] == "completed"
    assert (
        done["sent_count"] + done["failed_count"]
        == done["total_count"]
        == answers["audience"]["data"]["meta"]["member_count"]
    )
    assert smtp.count() == done["sent_count"]
    assert {m["attributes"]["error"] for m in answers["failed"]["data"]} <= {"no_channel", "no_consent"}
    assert {r["type"] for r in answers["messages"]["included"]} == {"customers"}
