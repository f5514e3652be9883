"""Tests of flask_broadcasts.unsubscribe.

The public unsubscribe route in-process: a Hypothesis test of its own (it is not in the
OpenAPI document), Flask-WTF's CSRFProtect, the localized page and a host's own template."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from urllib.parse import quote

import hypothesis
import jinja2
import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import strategies as st

from flask_broadcasts import get_state
from flask_broadcasts.engine.unsubscribe import public_prefix, unsubscribe_url
from flask_broadcasts.models import BroadcastSuppression
from tests.support import host_fixtures
from tests.support.host_fixtures import db, make_campaign, make_customer, make_message
from tests.support.unsubscribe import local_path

# The small host's app per test, without the JSON:API check of answers (these routes answer HTML).
app, database_uri = host_fixtures.app, host_fixtures.database_uri

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))


def _link(app, message) -> str:
    return local_path(unsubscribe_url(message, "mail", base=public_prefix(get_state(app).settings)))


def _rows() -> list[tuple]:
    db.session.rollback()
    return [tuple(r) for r in db.session.execute(sa.select(BroadcastSuppression.address, BroadcastSuppression.reason))]


def _message(locale: str | None = None):
    customer = make_customer(first_name="Ann", locale=locale)
    # Sent just now: a link stays valid 90 days from its e-mail's sending.
    return make_message(make_campaign(), customer, locale=locale, status="sent", sent_at=datetime.now(UTC))


_BODY = st.one_of(
    st.binary(max_size=600),
    st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=4).map(
        lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode("utf-8", "surrogatepass")
    ),
)
_CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "multipart/form-data; boundary=xyz",
        "text/plain",
        "application/json",
        "application/x-www-form-urlencoded; charset=utf-\u00e9",
    ]
)


def test_no_input_answers_5xx_or_changes_anything(app):
    message = _message()
    genuine = _link(app, message).rsplit("/", 1)[1]
    client = app.test_client()

    @hypothesis.given(
        token=st.one_of(
            st.text(max_size=200),
            # Near misses of a genuine token: one character changed, cut, or extended.
            st.integers(0, len(genuine) - 1).flatmap(
                lambda i: st.characters(codec="ascii").map(lambda c: genuine[:i] + c + genuine[i + 1 :])
            ),
            st.integers(0, len(genuine) - 1).map(lambda i: genuine[:i]),
        ),
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD"]),
        body=_BODY,
        content_type=_CONTENT_TYPES,
    )
    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def probe(token: str, method: str, body: bytes, content_type: str | None) -> None:
        if token == genuine:
            return
        headers = {"Content-Type": content_type} if content_type else {}
        # A token is one path segment: an empty one or one with a "/" is another URL (a 404 elsewhere).
        segment = quote(token, safe="") or "x"
        path = "/api/broadcast-unsubscribe/" + segment.replace("%2F", "_")
        answer = client.open(path, method=method, data=body, headers=headers)
        assert answer.status_code < 500, (token, answer.status_code)
        assert answer.status_code in (200, 400, 404, 405, 413), answer.status_code
        if method == "GET" and answer.status_code == 400:
            assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert _rows() == []

    probe()


def test_get_changes_nothing_post_unsubscribes_even_with_csrf_protect(app):
    from flask_wtf.csrf import CSRFProtect

    app.config.update(WTF_CSRF_ENABLED=True)
    CSRFProtect(app)  # after the extension: it is told on the first request
    message = _message()
    path = _link(app, message)
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and b"Unsubscribe from org-a" in page.data
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert _rows() == []
    # No cookie, no token of Flask-WTF's: the one-click POST still goes through.
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _rows() == [("ann@example.com", "unsubscribed")]
    # Other POST routes are still protected by CSRFProtect (the exemption is this view's only).
    assert client.post("/api/broadcast-callbacks/twilio", data={}).status_code == 400


def test_the_page_speaks_the_recipients_language_and_names_the_organization(app):
    get_state(app).extension.organization_name(lambda organization_id: "Salon Étoile")
    message = _message(locale="fr-CA")
    answer = app.test_client().get(_link(app, message))
    text = answer.get_data(as_text=True)
    assert '<html lang="fr">' in text and "Se désabonner de Salon Étoile" in text and "Me désabonner" in text
    done = app.test_client().post(_link(app, message), data={"via": "page"}).get_data(as_text=True)
    assert "Salon Étoile n&#39;enverra plus" in done or "Salon Étoile n'enverra plus" in done


def test_a_host_overrides_the_page(app):
    app.jinja_loader = jinja2.DictLoader(
        {"broadcasts/unsubscribe.html": "host page: {{ state }} {{ organization }} {{ action }}"}
    )
    message = _message()
    path = _link(app, message)
    assert app.test_client().get(path).get_data(as_text=True) == f"host page: confirm org-a {path}"
    assert (
        app.test_client()
        .get("/api/broadcast-unsubscribe/forged")
        .get_data(as_text=True)
        .startswith("host page: invalid")
    )
