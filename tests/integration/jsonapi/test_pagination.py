"""flask_broadcasts.jsonapi.pagination: ``sort`` and ``page[...]``, offset and cursor,
with links and totals; a cursor walk is complete and stable."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from flask_broadcasts.errors import BadRequestError
from flask_broadcasts.jsonapi import decode_cursor, encode_cursor
from tests.support import toy_jsonapi
from tests.support.jsonapi_fixtures import HEADERS


def get(client, url):
    r = client.get(url, headers=HEADERS)
    return r, r.get_json()


def path_of(link):
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def many_articles(app):
    toy_jsonapi.db.session.add_all(toy_jsonapi.Article(title=f"a{i:02}", views=i) for i in range(23))
    toy_jsonapi.db.session.commit()


def test_offset_pagination_links_and_total(client, many_articles):
    r, doc = get(client, "/api/articles?page[size]=5&page[number]=2&sort=views&o=7")
    assert [a["attributes"]["views"] for a in doc["data"]] == [5, 6, 7, 8, 9]
    assert doc["meta"]["total"] == 23
    links = doc["links"]
    assert parse_qs(urlsplit(links["next"]).query)["page[number]"] == ["3"]
    assert parse_qs(urlsplit(links["prev"]).query)["page[number]"] == ["1"]
    assert parse_qs(urlsplit(links["last"]).query)["page[number]"] == ["5"]
    assert parse_qs(urlsplit(links["first"]).query) == {
        "page[size]": ["5"],
        "page[number]": ["1"],
        "sort": ["views"],
        "o": ["7"],
    }
    _, last = get(client, path_of(links["last"]))
    assert len(last["data"]) == 3 and "next" not in last["links"]


def test_offset_default_page_size(client, many_articles):
    _, doc = get(client, "/api/articles")
    assert len(doc["data"]) == 10 and "prev" not in doc["links"]


@pytest.mark.parametrize(
    "param",
    [
        "page[size]=0",
        "page[size]=51",
        "page[size]=x",
        "page[number]=0",
        "page[number]=-1",
        "page[after]=abc",
        "page[number]=1&page[number]=2",
    ],
)
def test_offset_bad_page_is_400(client, many_articles, param):
    r, doc = get(client, f"/api/articles?{param}")
    assert r.status_code == 400
    assert doc["errors"][0]["source"]["parameter"] == param.split("=")[0]


@pytest.fixture
def many_people(app):
    # Repeated names and timestamps: only (sort key, id) gives a stable order.
    toy_jsonapi.db.session.add_all(
        toy_jsonapi.Person(name=f"p{i % 7}", created_at=toy_jsonapi.EPOCH + dt.timedelta(hours=i % 5))
        for i in range(57)
    )
    toy_jsonapi.db.session.commit()


@pytest.fixture
def statements(app):
    seen: list[str] = []
    engine = toy_jsonapi.db.engine

    def capture(conn, cursor, statement, parameters, *args):
        seen.append((statement.upper(), parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", capture)


@pytest.mark.parametrize("sort", ["name", "-name", "-created_at,name", ""])
def test_cursor_walk_is_complete_and_stable(client, many_people, statements, sort):
    url = f"/api/people?page[size]=8&sort={sort}" if sort else "/api/people?page[size]=8"
    seen, pages = [], 0
    while url:
        r, doc = get(client, url)
        assert r.status_code == 200 and "meta" not in doc
        seen += doc["data"]
        pages += 1
        url = path_of(doc["links"]["next"]) if "next" in doc["links"] else None
    ids = [p["id"] for p in seen]
    assert len(ids) == 57 == len(set(ids)) and pages == 8
    keys = {"name": lambda p: p.name, "created_at": lambda p: p.created_at}
    # Python's stable sorts, least significant key first: id, then the sort keys.
    order = sorted(toy_jsonapi.db.session.scalars(sa.select(toy_jsonapi.Person)), key=lambda p: p.id)
    for key in reversed([k for k in sort.split(",") if k]):
        order.sort(key=keys[key.lstrip("-")], reverse=key.startswith("-"))
    assert ids == [str(p.id) for p in order]
    assert statements and not any("COUNT(" in s for s, _ in statements)
    # SQLite's dialect always renders "LIMIT ? OFFSET ?"; the offset must stay 0.
    assert all(params[-1] == 0 for s, params in statements if "OFFSET" in s)


def test_cursor_last_page_has_no_next_and_first_link(client, many_people):
    _, doc = get(client, "/api/people?page[size]=50")
    _, last = get(client, path_of(doc["links"]["next"]))
    assert len(last["data"]) == 7 and "next" not in last["links"]
    assert "page[after]" not in last["links"]["first"]


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", encode_cursor("name", ["x", 1])])
def test_bad_or_foreign_cursor_is_400(client, many_people, cursor):
    r, doc = get(client, f"/api/people?page[after]={cursor}")
    assert r.status_code == 400
    assert doc["errors"][0]["source"] == {"parameter": "page[after]"}


def test_page_number_on_cursor_collection_is_400(client, many_people):
    r, doc = get(client, "/api/people?page[number]=2")
    assert r.status_code == 400 and doc["errors"][0]["source"] == {"parameter": "page[number]"}


def test_cursor_round_trips_typed_values():
    values = [
        dt.datetime(2026, 3, 1, 9, 30),
        dt.date(2026, 3, 1),
        decimal.Decimal("1.50"),
        uuid.UUID(int=5),
        "name",
        7,
        1.5,
        True,
    ]
    cursor = encode_cursor("-created_at", values)
    assert cursor.isascii() and "=" not in cursor
    assert decode_cursor(cursor, "-created_at", len(values)) == values
    with pytest.raises(BadRequestError):
        decode_cursor(cursor, "created_at", len(values))
    with pytest.raises(ValueError):
        encode_cursor("name", [None, 1])
