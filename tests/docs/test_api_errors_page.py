"""The error answers ``docs/api.rst`` shows ("Captured from the quickstart's run") are what
the API answers: each request is replayed after the quickstart's campaign completed, and
every member the page shows of each error (``code``, ``detail``, ``source``, ``status``)
must be the API's, error by error, in order.

The page abbreviates request bodies (``{...}``); the full bodies are :data:`BODIES`.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest
from flask import Flask

from example_app.seed import seed
from tests.support.docs import DOCS, run_quickstart
from tests.support.smtp import SmtpServer

JSONAPI = "application/vnd.api+json"
BLOCK = re.compile(r"Captured from the quickstart's run:\n\n\.\. code-block:: text\n\n(.*?)\n\S", re.S)
REQUEST = re.compile(r"^(GET|POST|DELETE|PATCH) (\S+)\s*(.*)$")
# The members the page shows of one error, in the page's order of errors.
MEMBER = re.compile(r'"(code|detail|status|pointer|parameter)": "((?:[^"\\]|\\.)*)"')

TEMPLATE = {"name": "N", "subject": "Hi {nickname}", "body": "<p>Hi</p>", "channels": ["mail", "fax"]}
BODIES = {
    "broadcast-campaigns": {"data": {"type": "broadcast-campaigns", "attributes": TEMPLATE}},
    "nickname": {"data": {"type": "broadcast-templates", "attributes": TEMPLATE}},
    "colour": {
        "data": {
            "type": "broadcast-audiences",
            "attributes": {"name": "Red", "audience_type": "customers", "filters": {"colour": "red"}},
        }
    },
    "recurring": {
        "data": {
            "type": "broadcast-campaigns",
            "attributes": {"name": "Weekly", "recurring": True},
            "relationships": {
                "template": {"data": {"type": "broadcast-templates", "id": "{template}"}},
                "audience": {"data": {"type": "broadcast-audiences", "id": "{audience}"}},
            },
        }
    },
}


def page_examples() -> list[tuple[str, str, str, str]]:
    """``(method, path, note, answer)`` of each example on the page."""
    block = BLOCK.search((DOCS / "api.rst").read_text())
    assert block, "the captured errors block is gone from api.rst"
    examples = []
    for entry in block.group(1).strip().split("\n\n"):
        first, *answer = [line.strip() for line in entry.splitlines()]
        method, path, note = REQUEST.match(first).groups()
        examples.append((method, path, note, " ".join(answer)))
    return examples


def shown(answer: str) -> list[dict[str, str]]:
    """The members of each error the page shows (a new error starts at each ``{"``-led object)."""
    errors: list[dict[str, str]] = []
    for chunk in re.split(r'(?:\[|, )\{(?=")', answer)[1:]:
        errors.append({name: json.loads(f'"{value}"') for name, value in MEMBER.findall(chunk)})
    return errors


def actual(document: dict[str, Any]) -> list[dict[str, str]]:
    found = []
    for error in document["errors"]:
        members = {name: error[name] for name in ("code", "detail", "status") if name in error}
        members.update(error.get("source", {}))
        found.append(members)
    return found


def body_for(note: str, ids: dict[str, str]) -> str | None:
    for key, body in BODIES.items():
        if key in note:
            return json.dumps(body).replace("{template}", ids["template"]).replace("{audience}", ids["audience"])
    return None


def test_the_captured_errors_are_the_apis_answers(example_app: Flask, smtp: SmtpServer) -> None:
    organizations = seed(20, rng=random.Random(20261126))["organizations"]
    own, other = organizations[0], organizations[1]
    client = example_app.test_client()
    ids = run_quickstart(example_app, own)  # the campaign ends completed

    examples = page_examples()
    assert len(examples) >= 10
    for method, path, note, answer in examples:
        # The page's organization 1 is ours, 2 the other one; ids 1 are the quickstart's.
        organization = {"1": str(own["id"]), "2": str(other["id"])}
        path = re.sub(r"o=(\d+)\b", lambda m, organization=organization: f"o={organization[m.group(1)]}", path)
        path = re.sub(
            r"/(broadcast-campaigns|broadcast-templates)/1\b",
            lambda m: f"/{m.group(1)}/{ids[m.group(1).removeprefix('broadcast-')[:-1]]}",
            path,
        )
        path_only, _, query = path.partition("?")
        headers = {"Accept": JSONAPI}
        if "no Authorization" not in note:
            token = other["token"] if "organization 2" in note else own["token"]
            headers["Authorization"] = f"Bearer {token}"
        data = body_for(note, ids)
        if data is not None:
            headers["Content-Type"] = JSONAPI
        response = client.open(path_only, method=method, query_string=query, headers=headers, data=data)
        expected = shown(answer)
        for error in expected:  # "No campaign 1 ...": the id of this database's campaign
            error["detail"] = error["detail"].replace("campaign 1 ", f"campaign {ids['campaign']} ")
        got = actual(response.get_json())
        assert str(response.status_code) == expected[0]["status"], (method, path, note, got)
        assert len(got) == len(expected), (method, path, note, got)
        for page_error, api_error in zip(expected, got, strict=True):
            assert {name: api_error.get(name) for name in page_error} == page_error, (method, path, note)


@pytest.mark.parametrize(
    "answer, errors",
    [
        ('{"errors": [{"detail": "A \\"b\\".", "status": "401"}]}', [{"detail": 'A "b".', "status": "401"}]),
        (
            '{"errors": [{"code": "x", "status": "422", ...}, {"code": "y", "source": {"pointer": "/p"}}]}',
            [{"code": "x", "status": "422"}, {"code": "y", "pointer": "/p"}],
        ),
    ],
)
def test_the_page_reader_splits_errors(answer: str, errors: list[dict[str, str]]) -> None:
    assert shown(answer) == errors
