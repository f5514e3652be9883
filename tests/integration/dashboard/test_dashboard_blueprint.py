"""The dashboard blueprint: off unless its prefix is set, its page's headers, the host's session
hook, and the shipped assets (what the browser test cannot see: no CDN, no HTML insertion).

The page's behaviour is tested in real Chromium (tests/browser/test_dashboard.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_broadcasts import Broadcasts

STATIC = Path(__file__).resolve().parents[3] / "flask_broadcasts" / "dashboard" / "static"


def make_app(**config: object) -> tuple[Flask, Broadcasts]:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="test", SQLALCHEMY_DATABASE_URI="sqlite://", REDIS_URL="redis://127.0.0.1:1/0", **config
    )
    db = SQLAlchemy()
    db.init_app(app)
    broadcasts = Broadcasts(db=db)
    broadcasts.init_app(app)
    return app, broadcasts


def test_there_is_no_dashboard_unless_its_prefix_is_set() -> None:
    app, _ = make_app()
    client = app.test_client()
    assert client.get("/broadcasts/").status_code == 404
    assert not [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("broadcasts_dashboard")]


def test_the_page_runs_only_this_origins_scripts_and_is_never_cached_or_framed() -> None:
    app, _ = make_app(BROADCASTS_DASHBOARD_URL_PREFIX="/ops/broadcasts", BROADCASTS_URL_PREFIX="/v2")
    response = app.test_client().get("/ops/broadcasts/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'"  # no inline script, no eval: the page runs only its modules
    assert csp["default-src"] == "'none'" and csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'"
    assert csp["connect-src"] == "'self'"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    html = response.get_data(as_text=True)
    # The page talks to the API where the host mounted it; no inline script at all.
    assert 'data-api="/v2"' in html and 'data-events="/v2"' in html
    assert re.findall(r"<script[^>]*>", html) == ['<script type="module" src="/ops/broadcasts/static/app.js">']
    assert 'data-session=""' in html  # no host hook: the page asks for a token


def test_the_modules_are_served_as_javascript_from_the_package() -> None:
    app, _ = make_app(BROADCASTS_DASHBOARD_URL_PREFIX="/broadcasts")
    client = app.test_client()
    for name in sorted(p.name for p in STATIC.iterdir()):
        response = client.get(f"/broadcasts/static/{name}")
        assert response.status_code == 200, name
        assert response.mimetype == ("text/css" if name.endswith(".css") else "text/javascript"), name
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_session_hook_signs_the_host_s_operator_in() -> None:
    app, broadcasts = make_app(BROADCASTS_DASHBOARD_URL_PREFIX="/broadcasts")
    signed_in: dict[str, tuple[str, str]] = {}

    @broadcasts.dashboard_session
    def from_host_session() -> tuple[str, str] | None:
        from flask import request

        return signed_in.get(request.cookies.get("host_session", ""))

    client = app.test_client()
    assert 'data-session="/broadcasts/session"' in client.get("/broadcasts/").get_data(as_text=True)
    assert client.get("/broadcasts/session").status_code == 204  # not signed in with the host

    signed_in["s1"] = ("secret-token", "7")
    client.set_cookie("host_session", "s1")
    response = client.get("/broadcasts/session")
    assert response.status_code == 200
    assert response.get_json() == {"token": "secret-token", "organization_id": "7"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Cookie" in response.headers["Vary"]


@pytest.mark.parametrize("path", sorted(p.name for p in STATIC.glob("*.js")))
def test_no_module_inserts_html_or_loads_from_another_origin(path: str) -> None:
    """Every value is inserted as text (dom.js); tenant HTML only as a sandboxed srcdoc."""
    source = (STATIC / path).read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, f"{path} uses {sink}"
    assert not re.search(r"""(import|from)\s*\(?\s*["']https?:""", source), f"{path} imports from a CDN"
    if "srcdoc" in source:
        assert path == "preview.js", f"{path} sets a srcdoc: only preview.js may, with its sandbox"
