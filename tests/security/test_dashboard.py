"""The dashboard's routes (unauthenticated: a page, its files and the session hook's answer) on
any path, method, query and header: never a 5xx, never a file from outside its static folder,
always the page's security headers, and nothing changed."""

from __future__ import annotations

import os
from typing import Any

import hypothesis
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import strategies as st

from tests.support.security import TALLY, World, row_counts

FAMILY = "dashboard"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
PREFIX = "/dashboard"
SEGMENTS = st.one_of(
    st.sampled_from(["", "static", "session", "app.js", "..", "%2e%2e", "__init__.py", "templates", "index.html"]),
    # Any text but "?" and "#", which end a path (the test client would read them as a query).
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="?#"), max_size=12),
)


@hypothesis.given(
    segments=st.lists(SEGMENTS, max_size=4),
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]),
    query=st.dictionaries(st.text(max_size=8), st.text(max_size=16), max_size=3),
    cookie=st.text(alphabet=st.characters(codec="ascii", min_codepoint=33, max_codepoint=126), max_size=40),
)
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FUZZ_SEED") is None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_any_request_to_the_dashboard(
    app: Flask, world: World, segments: list[str], method: str, query: dict[str, str], cookie: str
) -> None:
    client = app.test_client()
    before = row_counts()
    path = PREFIX + "/" + "/".join(segments)
    response: Any = client.open(path, method=method, query_string=query, headers={"Cookie": f"session={cookie}"})
    TALLY.probe(FAMILY, leaked=False, server_error=response.status_code >= 500)
    assert response.status_code < 500, (path, response.status_code)
    if response.status_code == 200 and method in ("GET", "HEAD"):
        # Only the page or one of the package's own files: never the Python source or a template.
        assert response.mimetype in ("text/html", "text/javascript", "text/css"), (path, response.mimetype)
        assert "Content-Security-Policy" in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    # The example app registers no session hook: nobody is signed in by a cookie.
    if path == PREFIX + "/session" and method == "GET":
        assert response.status_code == 204 and response.get_data() == b""
    assert row_counts() == before
