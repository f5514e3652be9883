"""The SSRF guard: which addresses are refused, the allow-list, and a request that goes to
the address that was checked (never resolved again) and follows no redirect."""

from __future__ import annotations

import ipaddress

import pytest

from flask_broadcasts.outbound import RefusedURL, check_url, parse_networks, request
from flask_broadcasts.outbound.ssrf import CheckedURL
from tests.support.webhook_receiver import WebhookReceiver

LOOPBACK = parse_networks(["127.0.0.0/8"])


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://10.0.0.1/", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[::1]/", "loopback"),
        ("https://[::ffff:127.0.0.1]/", "IPv4-mapped"),
        ("https://0.0.0.0/", "unspecified"),
        ("https://224.0.0.1/", "multicast"),
        ("https://192.168.1.20:8443/", "private"),
        ("https://100.64.0.1/", "non-global"),
        ("https://localhost/", "loopback"),
    ],
)
def test_refused_without_the_setting(url, why):
    with pytest.raises(RefusedURL, match=why):
        check_url(url)


def test_a_name_resolving_to_a_refused_address_is_refused(monkeypatch):
    answers = [(2, 1, 6, "", ("93.184.215.14", 443)), (2, 1, 6, "", ("10.0.0.7", 443))]
    monkeypatch.setattr("socket.getaddrinfo", lambda *a, **k: answers)
    with pytest.raises(RefusedURL, match=r"hooks.example.com \(10.0.0.7\) is a private address"):
        check_url("https://hooks.example.com/in")


def test_https_only_unless_http_is_allowed_and_no_credentials():
    with pytest.raises(RefusedURL, match="https"):
        check_url("http://93.184.215.14/")
    assert check_url("http://93.184.215.14/", allow_http=True).address == "93.184.215.14"
    with pytest.raises(RefusedURL, match="user name"):
        check_url("https://user:pw@93.184.215.14/")


def test_the_allow_list_names_exceptions_but_never_a_mapped_address():
    checked = check_url("http://127.0.0.1:8000/a?b=1", allow_http=True, allowed_networks=LOOPBACK)
    assert (checked.address, checked.port, checked.target) == ("127.0.0.1", 8000, "/a?b=1")
    with pytest.raises(RefusedURL, match="IPv4-mapped"):
        check_url("https://[::ffff:127.0.0.1]/", allowed_networks=LOOPBACK)
    assert parse_networks('["10.1.0.0/16"]') == (ipaddress.ip_network("10.1.0.0/16"),)


def test_the_request_goes_to_the_checked_address_and_follows_no_redirect():
    receiver = WebhookReceiver().start()
    try:
        port = int(receiver.url.split(":")[2].split("/")[0])
        # A name that resolves nowhere: only the checked address is connected to.
        checked = CheckedURL("http://hooks.invalid/x", "http", "hooks.invalid", port, "/x", "127.0.0.1")
        receiver.script = [("redirect", "http://169.254.169.254/")]
        answer = request(checked, body=b"{}", headers={"content-type": "application/json"}, timeout=2)
        assert answer.status == 307 and answer.headers["location"] == "http://169.254.169.254/"
        [only] = receiver.received
        assert only.path == "/x" and only.headers["host"] == f"hooks.invalid:{port}"
    finally:
        receiver.stop()


def test_a_bad_allow_list_fails_at_init_app():
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    from flask_broadcasts import Broadcasts

    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", BROADCASTS_WEBHOOK_ALLOWED_NETWORKS=["10.0.0.0/33"])
    db = SQLAlchemy(app)
    with pytest.raises(ValueError, match="BROADCASTS_WEBHOOK_ALLOWED_NETWORKS"):
        Broadcasts(app, db=db)
