"""``flask_broadcasts.realtime.origins``: the ``Origin`` check of the websocket upgrade.

What a deployment relies on: a page on another site cannot open a socket with the
browser's credentials (cross-site websocket hijacking), while the dashboard's own origin,
and those listed in ``BROADCASTS_WS_ALLOWED_ORIGINS``, can — written however a URL may be
written (case, default port, a trailing slash).
"""

from __future__ import annotations

from flask_broadcasts.realtime.origins import normalize_origin, origin_allowed


def test_an_origin_is_compared_without_case_default_port_or_path() -> None:
    assert normalize_origin("HTTPS://Dash.Example.COM:443/") == "https://dash.example.com"
    assert normalize_origin("http://dash.example.com:8080") == "http://dash.example.com:8080"
    assert normalize_origin("http://[::1]:5000") == "http://[::1]:5000"
    assert normalize_origin("null") is None
    assert normalize_origin("ftp://dash.example.com") is None
    assert normalize_origin("https://dash.example.com:99999") is None  # not a port


def test_a_page_of_another_site_is_refused_the_same_site_is_allowed() -> None:
    assert origin_allowed("https://api.example.com", "api.example.com", ())
    assert origin_allowed("http://localhost:5000", "localhost:5000", ())
    assert not origin_allowed("https://evil.example", "api.example.com", ())
    assert not origin_allowed("https://api.example.com:8443", "api.example.com", ())  # another port
    assert not origin_allowed("null", "api.example.com", ("null",))  # sandboxed frames: never


def test_listed_origins_are_allowed_from_a_list_or_the_environments_comma_separated_text() -> None:
    assert origin_allowed("https://dash.example.com", "api.example.com", ["https://DASH.example.com/"])
    assert origin_allowed("https://b.example", "api.example.com", "https://a.example, https://b.example")
    assert not origin_allowed("http://dash.example.com", "api.example.com", ["https://dash.example.com"])


def test_a_client_that_sends_no_origin_is_not_a_browser_and_is_let_through() -> None:
    assert origin_allowed(None, "api.example.com", ())
