from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.jsonapi import toyapp
from tests.jsonapi_validation import enable_jsonapi_validation

JSONAPI = "application/vnd.api+json"
HEADERS = {"Content-Type": JSONAPI, "Accept": JSONAPI}


@pytest.fixture(autouse=True)
def _validate_jsonapi_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    enable_jsonapi_validation(monkeypatch, api_prefixes=("/api",))


@pytest.fixture
def app() -> Iterator[Flask]:
    app = toyapp.create_app()
    with app.app_context():
        yield app
        toyapp.db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def seed(app: Flask) -> dict[str, int]:
    """Two teams, three people, five articles."""
    import datetime as dt

    db = toyapp.db
    red, blue = toyapp.Team(name="red"), toyapp.Team(name="blue")
    ann = toyapp.Person(name="ann", team=red)
    bob = toyapp.Person(name="bob", team=red)
    cid = toyapp.Person(name="cid", team=blue)
    db.session.add_all([red, blue, ann, bob, cid])
    for i, (title, author) in enumerate(
        [("alpha", ann), ("bravo", bob), ("charlie", ann), ("delta", cid), ("echo", None)]
    ):
        db.session.add(
            toyapp.Article(
                title=title,
                body=f"words {i}",
                views=i * 10,
                author=author,
                created_at=toyapp.EPOCH + dt.timedelta(days=i),
            )
        )
    db.session.commit()
    return {"ann": ann.id, "bob": bob.id, "cid": cid.id, "red": red.id}
