"""Sizes and encodings: huge bodies, deep JSON, long strings, thousands of filter keys, big
attachments, zero-width/RTL/NUL characters, invalid UTF-8 → a clear 4xx, never a 500, and
nothing half-written (rows counted before and after)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask

from tests.support.jsonapi_validation import enable_jsonapi_validation
from tests.support.security import MEDIA_TYPE, TALLY, World, build_app, empty_tables, make_world, row_counts

FAMILY = "sizes & encodings"


@pytest.fixture(autouse=True)
def _validate(monkeypatch: pytest.MonkeyPatch) -> None:
    enable_jsonapi_validation(monkeypatch, api_prefixes=("/api",))


def _send(
    client: Any,
    world: World,
    method: str,
    path: str,
    data: bytes | str | None,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> Any:
    url = f"/api{path}?o={world.a.org}{'&' + query if query else ''}"
    return client.open(url, method=method, headers={**world.a.headers, **(headers or {})}, data=data)


def _expect_4xx(response: Any, *allowed: int) -> None:
    TALLY.probe(FAMILY, leaked=not 400 <= response.status_code < 500, server_error=response.status_code >= 500)
    assert response.status_code in allowed, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == MEDIA_TYPE
    assert response.get_json()["errors"][0]["status"] == str(response.status_code)


def _template_doc(**attributes: Any) -> dict[str, Any]:
    values = {"name": "T", "subject": "S", "body": "<p>B</p>", "channels": ["mail"], **attributes}
    return {"data": {"type": "broadcast-templates", "attributes": values}}


def test_a_body_over_the_limit_is_413_before_it_is_read(app: Flask, world: World) -> None:
    client = app.test_client()
    limit = app.config["BROADCASTS_MAX_CONTENT_LENGTH"]
    counts = row_counts()
    body = json.dumps(_template_doc(body="x" * (limit + 10))).encode()
    for method, path in (
        ("POST", "/broadcast-templates"),
        ("PATCH", f"/broadcast-templates/{world.a.template}"),
        ("POST", "/broadcast-campaigns"),
        ("POST", "/broadcast-audiences"),
    ):
        _expect_4xx(_send(client, world, method, path, body), 413)
    # Chunked (no Content-Length): cut off while it streams in.
    stream = io.BytesIO(body)
    response = client.post(
        f"/api/broadcast-templates?o={world.a.org}",
        headers=world.a.headers,
        input_stream=stream,
        environ_overrides={"wsgi.input_terminated": True},
    )
    _expect_4xx(response, 413)
    # An unauthenticated giant is refused too, without being read.
    response = client.post(f"/api/broadcast-templates?o={world.a.org}", data=body, headers={"Content-Type": MEDIA_TYPE})
    _expect_4xx(response, 413)
    assert row_counts() == counts


def test_the_limit_is_configurable(security_database: str) -> None:
    app = build_app(security_database, BROADCASTS_MAX_CONTENT_LENGTH=200)
    with app.app_context():
        empty_tables()
        world = make_world()
        response = _send(
            app.test_client(), world, "POST", "/broadcast-templates", json.dumps(_template_doc(body="x" * 300))
        )
        _expect_4xx(response, 413)


@pytest.mark.parametrize("depth", [1_000, 10_000, 100_000])
def test_deeply_nested_json_is_400(app: Flask, world: World, depth: int) -> None:
    counts = row_counts()
    for nested in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        for document in (
            nested,
            '{"data": {"type": "broadcast-templates", "attributes": {"filters": ' + nested + "}}}",
        ):
            _expect_4xx(_send(app.test_client(), world, "POST", "/broadcast-templates", document), 400, 413, 422)
    assert row_counts() == counts


def test_long_strings_are_422_and_write_nothing(app: Flask, world: World) -> None:
    client = app.test_client()
    counts = row_counts()
    long = "é" * 250_000
    documents = [
        ("/broadcast-templates", _template_doc(name=long[:5000])),
        ("/broadcast-templates", _template_doc(subject=long[:5000])),
        ("/broadcast-templates", _template_doc(body=long)),
        ("/broadcast-templates", _template_doc(action_url="https://example.com/" + "a" * 5000)),
        ("/broadcast-templates", _template_doc(subject_i18n={"fr": long[:5000]})),
        ("/broadcast-templates", _template_doc(subject_i18n={f"x{i}": "s" for i in range(500)})),
        (
            "/broadcast-audiences",
            {
                "data": {
                    "type": "broadcast-audiences",
                    "attributes": {"name": long[:5000], "audience_type": "customers"},
                }
            },
        ),
        (
            "/broadcast-audiences",
            {
                "data": {
                    "type": "broadcast-audiences",
                    "attributes": {"name": "A", "audience_type": "customers", "filters": {"search": long[:5000]}},
                }
            },
        ),
        (
            "/broadcast-campaigns",
            {
                "data": {
                    "type": "broadcast-campaigns",
                    "attributes": {"name": long[:5000], "cron": "* " * 2000, "timezone": "Europe/" + "x" * 5000},
                }
            },
        ),
    ]
    for path, document in documents:
        _expect_4xx(_send(client, world, "POST", path, json.dumps(document)), 404, 413, 422)
    patch = {
        "data": {
            "type": "broadcast-campaigns",
            "id": world.a.campaign,
            "attributes": {"name": "x" * 201, "cron": "* " * 2000, "timezone": "y" * 500},
        }
    }
    _expect_4xx(_send(client, world, "PATCH", f"/broadcast-campaigns/{world.a.campaign}", json.dumps(patch)), 422)
    assert row_counts() == counts


def test_thousands_of_query_parameters(app: Flask, world: World) -> None:
    client = app.test_client()
    many_filters = "&".join(f"filter[f{i}]=x" for i in range(2000))
    # 1,000 here: a 200 echoes them in five links, which the JSON:API validator reads.
    many_fields = "&".join(f"fields[t{i}]=a" for i in range(1000))
    many_plain = "&".join(f"p{i}=x" for i in range(1000))
    for path in (
        "/broadcast-templates",
        "/broadcast-campaigns",
        "/broadcast-audiences",
        f"/broadcast-campaigns/{world.a.running_campaign}/messages",
    ):
        for query in (many_filters, many_fields):
            response = _send(client, world, "GET", path, None, query)
            TALLY.probe(FAMILY, server_error=response.status_code >= 500)
            assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
        response = _send(client, world, "GET", path, None, many_plain)
        TALLY.probe(FAMILY, server_error=response.status_code >= 500)
        assert response.status_code in (200, 400)
    # An audience whose filters object has thousands of keys.
    document = {
        "data": {
            "type": "broadcast-audiences",
            "attributes": {"name": "A", "audience_type": "customers", "filters": {f"k{i}": "x" for i in range(2000)}},
        }
    }
    counts = row_counts()
    _expect_4xx(_send(client, world, "POST", "/broadcast-audiences", json.dumps(document)), 422)
    assert row_counts() == counts


WEIRD = [
    "\u200b\u200c\u200d\ufeff",  # zero-width
    "\u202eevil\u202c \u2067rtl\u2069",  # RTL override / isolate
    "שלום עולם مرحبا",  # RTL scripts
    "e\u0301\u0301\u0301" * 40,  # stacked combining marks
    "\U0001f4a9\U0001f3f3\ufe0f\u200d\U0001f308",  # astral + ZWJ sequences
]


@pytest.mark.parametrize("text", WEIRD)
def test_zero_width_and_rtl_text_round_trips(app: Flask, world: World, text: str) -> None:
    client = app.test_client()
    response = _send(
        client,
        world,
        "POST",
        "/broadcast-templates",
        json.dumps(_template_doc(name=f"N{text}", body=f"<p>{text}</p>", body_short=text, channels=["mail", "sms"])),
    )
    TALLY.probe(FAMILY, server_error=response.status_code >= 500)
    assert response.status_code == 201, response.get_data(as_text=True)
    attributes = response.get_json()["data"]["attributes"]
    assert attributes["body_short"] == text
    for path in ("/broadcast-templates", "/broadcast-campaigns", "/broadcast-audiences"):
        listing = _send(client, world, "GET", path, None, "filter[search]=" + text)
        TALLY.probe(FAMILY, server_error=listing.status_code >= 500)
        assert listing.status_code == 200


@pytest.mark.parametrize("text", ["a\x00b", "\x00", "\ud800", "a\x01\x02\x1b[31m"])
def test_nul_and_control_characters_are_refused_not_500(app: Flask, world: World, text: str) -> None:
    client = app.test_client()
    counts = row_counts()
    a = world.a
    escaped = json.dumps(text)  # "\u0000", "\ud800" (a lone surrogate) survive as JSON escapes
    raw = lambda doc: doc.replace('"@@"', escaped)  # noqa: E731
    documents = [
        ("POST", "/broadcast-templates", raw(json.dumps(_template_doc(name="@@")))),
        ("POST", "/broadcast-templates", raw(json.dumps(_template_doc(subject_i18n={"fr": "@@"})))),
        (
            "POST",
            "/broadcast-audiences",
            raw(
                json.dumps(
                    {
                        "data": {
                            "type": "broadcast-audiences",
                            "attributes": {"name": "@@", "audience_type": "customers"},
                        }
                    }
                )
            ),
        ),
        (
            "POST",
            "/broadcast-audiences",
            raw(
                json.dumps(
                    {
                        "data": {
                            "type": "broadcast-audiences",
                            "attributes": {"name": "A", "audience_type": "customers", "filters": {"search": "@@"}},
                        }
                    }
                )
            ),
        ),
        (
            "POST",
            "/broadcast-campaigns",
            raw(
                json.dumps(
                    {
                        "data": {
                            "type": "broadcast-campaigns",
                            "attributes": {"name": "@@"},
                            "relationships": {
                                "template": {"data": {"type": "broadcast-templates", "id": a.template}},
                                "audience": {"data": {"type": "broadcast-audiences", "id": a.audience}},
                            },
                        }
                    }
                )
            ),
        ),
        (
            "PATCH",
            f"/broadcast-campaigns/{a.campaign}",
            raw(
                json.dumps(
                    {
                        "data": {
                            "type": "broadcast-campaigns",
                            "id": a.campaign,
                            "attributes": {"name": "@@", "cron": "@@", "timezone": "@@"},
                        }
                    }
                )
            ),
        ),
    ]
    for method, path, body in documents:
        response = _send(client, world, method, path, body)
        ok = response.status_code in (201, 200) and "\x00" not in text and "\ud800" not in text
        TALLY.probe(FAMILY, server_error=response.status_code >= 500)
        assert response.status_code < 500, (path, response.get_data(as_text=True)[:300])
        if not ok:
            assert response.status_code in (400, 422), (path, body[:200], response.get_data(as_text=True)[:300])
    if "\x00" in text or "\ud800" in text:
        assert row_counts() == counts  # refused documents wrote nothing
    if "\ud800" in text:
        return  # no URL can carry a lone surrogate (its %-encoding is invalid UTF-8: tested below)
    for path in (
        "/broadcast-templates",
        "/broadcast-campaigns",
        "/broadcast-audiences",
        f"/broadcast-campaigns/{a.running_campaign}/messages",
    ):
        for query in (
            f"filter[search]={text}",
            f"sort={text}",
            f"include={text}",
            f"page[after]={text}",
            f"filter[status]={text}",
            f"fields[broadcast-templates]={text}",
        ):
            response = _send(client, world, "GET", path, None, query.replace("\x00", "%00"))
            TALLY.probe(FAMILY, server_error=response.status_code >= 500)
            assert response.status_code in (200, 400), (path, query, response.get_data(as_text=True)[:300])


def test_invalid_utf8_bodies_and_query_strings(app: Flask, world: World) -> None:
    client = app.test_client()
    counts = row_counts()
    bodies = [
        b'{"data": {"type": "broadcast-templates", "attributes": {"name": "\xff\xfe"}}}',
        b"\xc3\x28",
        b"\xed\xa0\x80",
        b"\xef\xbb\xbf{}",
        b'{"data": "\xe2\x82"}',
    ]
    for body in bodies:
        for method, path in (
            ("POST", "/broadcast-templates"),
            ("PATCH", f"/broadcast-templates/{world.a.template}"),
            ("POST", "/broadcast-campaigns"),
        ):
            _expect_4xx(_send(client, world, method, path, body), 400, 409)
    for query in (
        "filter[search]=%ff%fe",
        "sort=%c3%28",
        "include=%ed%a0%80",
        "page[after]=%ff",
        "%ff%fe=1",
        "filter[%ff]=1",
        "fields[%c3%28]=a",
        "o=%ff",
    ):
        for path in (
            "/broadcast-templates",
            f"/broadcast-campaigns/{world.a.running_campaign}/messages",
            f"/broadcast-templates/{world.a.template}",
        ):
            response = client.get(f"/api{path}?o={world.a.org}&{query}", headers=world.a.headers)
            TALLY.probe(FAMILY, server_error=response.status_code >= 500)
            assert response.status_code in (200, 400), (path, query, response.get_data(as_text=True)[:300])
    response = client.get(f"/api/broadcast-templates/%ff%fe?o={world.a.org}", headers=world.a.headers)
    _expect_4xx(response, 404)
    assert row_counts() == counts


def test_forged_cursors_are_400(app: Flask, world: World) -> None:
    import base64

    client = app.test_client()
    forged = [
        {"s": "created_at", "k": [5, 1]},
        {"s": "created_at", "k": ["yesterday", "x"]},
        {"s": "created_at", "k": [{"dt": "2026-01-01T00:00:00+00:00"}, "not-an-id"]},
        {"s": "created_at", "k": [{"dt": "2026-01-01T00:00:00"}, 1]},
        {"s": "created_at", "k": [{"dt": "2026-01-01T00:00:00+00:00"}, 10**30]},
        {"s": "created_at", "k": [{"d": "2026-01-01"}, {"uuid": "0" * 32}]},
        {"s": "created_at", "k": [{"dec": "NaN"}, 1.5]},
        {"s": "created_at", "k": [[1], {"a": 1}]},
        {"s": "created_at", "k": [True, None]},
        {"s": ["created_at"], "k": 7},
    ]
    for payload in forged:
        cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
        response = _send(
            client,
            world,
            "GET",
            f"/broadcast-campaigns/{world.a.running_campaign}/messages",
            None,
            f"page[after]={cursor}",
        )
        TALLY.probe(FAMILY, server_error=response.status_code >= 500)
        assert response.status_code in (200, 400), (payload, response.get_data(as_text=True)[:300])


def test_a_10_mb_attachment_is_413_and_writes_nothing(app: Flask, world: World) -> None:
    client = app.test_client()
    counts = row_counts()
    data = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    response = client.post(
        f"/api/broadcast-templates/{world.a.template}/files?o={world.a.org}",
        headers={"Authorization": f"Bearer {world.a.token}"},
        data={"file": (io.BytesIO(data), "big.pdf", "application/pdf")},
        content_type="multipart/form-data",
    )
    _expect_4xx(response, 413)
    for name in ("\u202egnp.exe", "../../etc/passwd", "a\x00.txt", "\r\nX-Evil: 1.txt", "x" * 5000):
        response = client.post(
            f"/api/broadcast-templates/{world.a.template}/files?o={world.a.org}",
            headers={"Authorization": f"Bearer {world.a.token}"},
            data={"file": (io.BytesIO(b"hello"), name, "text/plain")},
            content_type="multipart/form-data",
        )
        TALLY.probe(FAMILY, server_error=response.status_code >= 500)
        assert response.status_code in (201, 400, 422), response.get_data(as_text=True)[:300]
        if response.status_code == 201:
            stored = response.get_json()["data"]["attributes"]["filename"]
            assert "/" not in stored and "\x00" not in stored and "\r" not in stored and "\n" not in stored
            assert "\u202e" not in stored and len(stored) <= 255
    assert row_counts()["broadcast_file_blobs"] <= counts["broadcast_file_blobs"] + 5
