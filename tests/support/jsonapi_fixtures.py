from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import toy_jsonapi
from tests.support.jsonapi_validation import enable_jsonapi_validation

JSONAPI = "application/vnd.api+json"
HEADERS = {"Content-Type": JSONAPI, "Accept": JSONAPI}


@pytest.fixture(autouse=True)
def _validate_jsonapi_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    enable_jsonapi_validation(monkeypatch, api_prefixes=("/api",))


@pytest.fixture
def app() -> Iterator[Flask]:
    app = toy_jsonapi.create_app()
    with app.app_context():
        yield app
        toy_jsonapi.db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def seed(app: Flask) -> dict[str, int]:
    """Two teams, three people, five articles."""
    import datetime as dt

    db = toy_jsonapi.db
    red, blue = toy_jsonapi.Team(name="red"), toy_jsonapi.Team(name="blue")
    ann = toy_jsonapi.Person(name="ann", team=red)
    bob = toy_jsonapi.Person(name="bob", team=red)
    cid = toy_jsonapi.Person(name="cid", team=blue)
    db.session.add_all([red, blue, ann, bob, cid])
    for i, (title, author) in enumerate(
        [("alpha", ann), ("bravo", bob), ("charlie", ann), ("delta", cid), ("echo", None)]
    ):
        db.session.add(
            toy_jsonapi.Article(
                title=title,
                body=f"words {i}",
                views=i * 10,
                author=author,
                created_at=toy_jsonapi.EPOCH + dt.timedelta(days=i),
            )
        )
    db.session.commit()
    return {"ann": ann.id, "bob": bob.id, "cid": cid.id, "red": red.id}
