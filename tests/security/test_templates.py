"""Template text is user input: format-string and template-engine payloads stay inert text,
recipient data is escaped in HTML and intact in text and SMS, ``action_url`` is http(s) only."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from flask import Flask

from tests.support.jsonapi_validation import enable_jsonapi_validation
from tests.support.security import HOSTILE_LAST, HOSTILE_NAME, TALLY, World

FAMILY = "templates"

#: Payloads for str.format, Jinja/Django, JS/Groovy template literals and ERB/JSP.
PAYLOADS = [
    "{0.__class__}",
    "{first_name.__init__.__globals__}",
    "{first_name!r:>{0}}",
    "{{7*7}}",
    "${7*7}",
    "<%= 7*7 %>",
    "#{7*7}",
    "{% raw %}{{config}}",
]


@pytest.fixture(autouse=True)
def _validate(monkeypatch: pytest.MonkeyPatch) -> None:
    enable_jsonapi_validation(monkeypatch, api_prefixes=("/api",))


def _post(client: Any, world: World, path: str, document: dict[str, Any]) -> Any:
    return client.post(f"/api{path}?o={world.a.org}", headers=world.a.headers, data=json.dumps(document))


def _template(world: World, client: Any, **attributes: Any) -> Any:
    values = {
        "name": "T",
        "subject": "Hello {first_name}",
        "body": "<p>Hi {first_name}</p>",
        "body_short": "Hi {first_name}",
        "channels": ["mail", "sms"],
        **attributes,
    }
    return _post(client, world, "/broadcast-templates", {"data": {"type": "broadcast-templates", "attributes": values}})


def _preview(client: Any, world: World, template_id: str) -> list[dict[str, Any]]:
    campaign = _post(
        client,
        world,
        "/broadcast-campaigns",
        {
            "data": {
                "type": "broadcast-campaigns",
                "attributes": {"name": "P"},
                "relationships": {
                    "template": {"data": {"type": "broadcast-templates", "id": template_id}},
                    "audience": {"data": {"type": "broadcast-audiences", "id": world.a.audience}},
                },
            }
        },
    )
    assert campaign.status_code == 201, campaign.get_data(as_text=True)
    response = client.get(
        f"/api/broadcast-campaigns/{campaign.get_json()['data']['id']}/draft-messages?o={world.a.org}",
        headers=world.a.headers,
    )
    assert response.status_code == 200
    return [m["attributes"] for m in response.get_json()["data"]]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_payloads_are_inert_text(app: Flask, world: World, payload: str) -> None:
    client = app.test_client()
    created = _template(
        world,
        client,
        subject=f"S {payload}",
        body=f"<p>{payload} {{first_name}}</p>",
        body_short=f"B {payload}",
        action_label=f"L {payload}",
    )
    if created.status_code == 422:
        # Refusing a brace-payload as an unknown variable is inert too: nothing was evaluated.
        errors = created.get_json()["errors"]
        assert all(e.get("code") in ("unknown_variable", "invalid_character") for e in errors), errors
        assert "__globals__" not in json.dumps([e["detail"] for e in errors if "globals" not in payload])
        TALLY.probe(FAMILY)
        return
    assert created.status_code == 201, created.get_data(as_text=True)
    attributes = created.get_json()["data"]["attributes"]
    assert attributes["subject"] == f"S {payload}"
    (message, *_) = _preview(client, world, created.get_json()["data"]["id"])
    evaluated = "49" in json.dumps(message) or "class" in message["subject"].replace(payload, "")
    TALLY.probe(FAMILY, leaked=evaluated)
    assert message["subject"] == f"S {payload}"
    assert message["body_short"] == f"B {payload}"
    assert message["action_label"] == f"L {payload}"
    assert html.escape(payload, quote=False) in message["body"] or payload in message["body"]
    assert "49" not in json.dumps(message)
    assert "function" not in message["body"] and "globals" not in message["body"].replace(payload, "")


def test_recipient_data_is_escaped_in_html_and_intact_in_text_and_sms(app: Flask, world: World) -> None:
    client = app.test_client()
    created = _template(
        world,
        client,
        subject="Hello {first_name} {last_name}",
        body="<p>Hi {first_name} {last_name}</p>",
        body_short="Hi {first_name} {last_name}",
        action_label="Open",
        action_url="https://example.com/u/{first_name}?n={last_name}",
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    (message,) = _preview(client, world, created.get_json()["data"]["id"])
    raw = f"{HOSTILE_NAME} {HOSTILE_LAST}"
    TALLY.probe(FAMILY, leaked="<script>" in message["body"] or "<img" in message["body"])
    assert "<script>" not in message["body"] and "<img" not in message["body"]
    assert html.escape(HOSTILE_NAME) in message["body"] or html.escape(HOSTILE_NAME, quote=False) in message["body"]
    assert message["subject"] == f"Hello {raw}"
    assert message["body_short"] == f"Hi {raw}"
    url = message["action_url"]
    TALLY.probe(FAMILY, leaked=not url.startswith("https://example.com/u/") or "<" in url or " " in url)
    assert url.startswith("https://example.com/u/%3Cscript%3E")
    assert "javascript%3Aalert" in url and "<" not in url and '"' not in url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/",
        "/relative",
        "https://{first_name}.example/",
        "https://bank.example@evil.example/",
        "https:\\\\evil.example",
        "{first_name}",
        "ftp://example.com/",
        "https://exa mple.com/",
        "https://example.com/\r\nSet-Cookie: x=1",
        "http://",
        "https://example.com:99999/",
    ],
)
def test_action_url_accepts_only_http_and_https(app: Flask, world: World, url: str) -> None:
    client = app.test_client()
    response = _template(world, client, action_url=url)
    TALLY.probe(FAMILY, leaked=response.status_code != 422, server_error=response.status_code >= 500)
    assert response.status_code == 422, (url, response.get_data(as_text=True))
    assert any(e["source"]["pointer"] == "/data/attributes/action_url" for e in response.get_json()["errors"])


@pytest.mark.parametrize("url", ["https://example.com/a?b=c#d", "http://example.com/{first_name}"])
def test_action_url_http_and_https_are_accepted(app: Flask, world: World, url: str) -> None:
    response = _template(world, app.test_client(), action_url=url)
    assert response.status_code == 201, response.get_data(as_text=True)
