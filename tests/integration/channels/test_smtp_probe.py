"""flask_broadcasts.channels.smtp_probe: what ``flask broadcasts doctor`` asks the mail server.

What a user relies on: the probe connects as a send job would, reports the server's greeting,
its EHLO extensions (PIPELINING when offered, and only then) and its SIZE limit, sends no mail
and says QUIT; a server that cannot do what ``MAIL_*`` asks for (STARTTLS, a login) or cannot be
reached is an error, never a report of a plain connection."""

from __future__ import annotations

import smtplib

import pytest

from flask_broadcasts.channels.smtp import MailSettings
from flask_broadcasts.channels.smtp_probe import ServerOffer, probe_smtp
from tests.support.smtp import SmtpServer, free_port


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "step-by-step"])
def test_it_reports_what_the_server_offers_and_sends_nothing(pipelining: bool) -> None:
    server = SmtpServer(pipelining=pipelining).start()
    try:
        offer = probe_smtp(MailSettings(server="127.0.0.1", port=server.port), timeout=5)
    finally:
        server.stop()
    assert offer.banner.startswith("localhost ")  # the greeting, without its 220
    assert ("PIPELINING" in offer.extensions) is pipelining
    assert offer.extensions["SIZE"] == "33554432" and offer.size_limit == 33554432
    assert offer.before_tls == offer.extensions  # no STARTTLS: one EHLO
    assert (offer.encrypted, offer.logged_in) == (False, False)
    assert (server.connections, server.quits, server.received) == (1, 1, [])


@pytest.mark.parametrize(
    ("asked", "missing"),
    [({"use_tls": True}, "STARTTLS"), ({"username": "news", "password": "secret"}, "AUTH")],
)
def test_what_the_settings_ask_for_and_the_server_lacks_is_an_error(smtp, asked: dict, missing: str) -> None:
    with pytest.raises(smtplib.SMTPException, match=missing):
        probe_smtp(MailSettings(server="127.0.0.1", port=smtp.port, **asked), timeout=5)
    assert smtp.quits == 1 and smtp.received == []  # it still said goodbye


def test_a_server_that_cannot_be_reached_is_an_os_error() -> None:
    with pytest.raises(OSError):
        probe_smtp(MailSettings(server="127.0.0.1", port=free_port()), timeout=2)


@pytest.mark.parametrize(("size", "limit"), [("10240000", 10240000), ("0", None), ("", None), ("big", None)])
def test_a_size_of_zero_or_none_means_no_limit(size: str, limit: int | None) -> None:
    offer = ServerOffer("mx", {"SIZE": size} if size else {}, {}, encrypted=True, logged_in=True)
    assert offer.size_limit == limit
