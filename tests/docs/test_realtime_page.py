"""The live-progress page's two samples are what the server does: the ticket exchange
(request, status, headers, members of the answer) and a server → client frame (the
members of a published ``broadcast-campaigns.updated`` event)."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from flask import Flask

from example_app.seed import seed
from flask_broadcasts import get_state
from flask_broadcasts.events import RecordingPublisher
from tests.support.docs import DOCS, run_quickstart
from tests.support.smtp import SmtpServer

PAGE = (DOCS / "realtime.rst").read_text()
MEMBER_NAME = re.compile(r'"([a-z_]+)":')


def literal_after(marker: str) -> str:
    """The indented literal block that follows the paragraph ending in ``marker``."""
    rest = PAGE.split(marker, 1)[1]
    block = re.match(r"\n\n((?:(?: {6}.*)?\n)+)", rest)
    assert block, marker
    return "\n".join(line[6:] for line in block.group(1).splitlines())


def members(value: Any) -> set[str]:
    """Every member name of a JSON document, at any depth."""
    if isinstance(value, dict):
        return set(value) | {name for item in value.values() for name in members(item)}
    if isinstance(value, list):
        return {name for item in value for name in members(item)}
    return set()


def test_ticket_exchange_is_as_shown(example_app: Flask) -> None:
    sample = literal_after("refused with the API's error documents::")
    asked, answered = sample.split("\n\n201 Created\n")
    request_line, *header_lines, _, body = asked.strip().split("\n")
    method, path = request_line.split()
    organization = seed(3)["organizations"][0]
    headers = dict(line.split(": ", 1) for line in header_lines)
    headers["Authorization"] = f"Bearer {organization['token']}"
    path_only, _, query = path.replace("o=1", f"o={organization['id']}").partition("?")

    response = example_app.test_client().open(path_only, method=method, query_string=query, headers=headers, data=body)

    assert response.status_code == 201
    answer_headers, answer_body = answered.split("\n\n", 1)
    for line in answer_headers.splitlines():
        name, value = line.split(": ", 1)
        assert response.headers[name] == value
    document = response.get_json()
    assert set(MEMBER_NAME.findall(answer_body)) <= members(document)
    assert document["data"]["type"] == "broadcast-event-tickets"
    shown_expiry = re.search(r'"expires_at": "([^"]+)"', answer_body).group(1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", shown_expiry)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["data"]["attributes"]["expires_at"])


def test_a_published_frame_is_as_shown(example_app: Flask, smtp: SmtpServer) -> None:
    sample = literal_after("Exactly the published events, as text::")
    state = get_state(example_app)
    recorder = state.publisher = RecordingPublisher()
    organization = seed(20, rng=random.Random(20261126))["organizations"][0]
    run_quickstart(example_app, organization)  # the quickstart's campaign, sent by a real worker

    frames = [json.loads(json.dumps(event)) for _, event in recorder.events]
    in_progress = [frame for frame in frames if frame["data"]["attributes"]["status"] == "in-progress"]
    assert in_progress, [frame["data"]["attributes"]["status"] for frame in frames]
    frame = in_progress[-1]
    assert frame["event"] == re.search(r'"event": "([^"]+)"', sample).group(1)
    assert frame["data"]["type"] == re.search(r'"type": "([^"]+)"', sample).group(1)
    assert set(MEMBER_NAME.findall(sample)) <= members(frame)
    assert "relationships" in frame["data"]
