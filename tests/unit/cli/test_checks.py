"""``flask broadcasts doctor``'s configuration check: settings that are missing or contradict each other."""

from __future__ import annotations

import dataclasses

import pytest

from flask_broadcasts.channels.smtp import MailSettings
from flask_broadcasts.cli.checks import Level, configuration
from flask_broadcasts.cli.doctor import report
from flask_broadcasts.config import Settings

GOOD = Settings(redis_url="redis://localhost/0", public_url="https://news.example.com")
MAIL = MailSettings(default_sender="news@example.com")


def _findings(settings: Settings = GOOD, mail: MailSettings = MAIL) -> list[tuple[Level, str]]:
    return [(finding.level, finding.message) for finding in configuration(settings, mail)]


def test_a_consistent_configuration_is_one_ok():
    assert _findings() == [(Level.OK, "no setting missing, none contradicting another")]


@pytest.mark.parametrize(
    ("change", "mail", "expected"),
    [
        ({"redis_url": None}, {}, "Neither BROADCASTS_REDIS_URL nor REDIS_URL is set"),
        ({"claim_ttl": 15}, {}, "BROADCASTS_CLAIM_TTL (15 s) is not above BROADCASTS_SMTP_TIMEOUT (15 s)"),
        (
            {"send_job_budget": 900},
            {},
            "BROADCASTS_SEND_JOB_BUDGET (900 s) is not below BROADCASTS_JOB_TIMEOUT (900 s)",
        ),
        ({"page_size": 200}, {}, "BROADCASTS_PAGE_SIZE (200) is above BROADCASTS_MAX_PAGE_SIZE (100)"),
        ({"public_url": None}, {}, "BROADCASTS_PUBLIC_URL is not set"),
        ({"public_url": "news.example.com"}, {}, "BROADCASTS_PUBLIC_URL ('news.example.com') is not an absolute"),
        ({}, {"default_sender": None}, "No sender: set BROADCASTS_MAIL_SENDER or MAIL_DEFAULT_SENDER"),
        ({}, {"use_ssl": True, "use_tls": True}, "MAIL_USE_SSL and MAIL_USE_TLS are both set"),
        ({"sms_provider": "twilio", "twilio_from": "+15005550006"}, {}, "BROADCASTS_TWILIO_ACCOUNT_SID or"),
        (
            {"sms_provider": "twilio", "twilio_account_sid": "AC1", "twilio_auth_token": "t"},
            {},
            "neither BROADCASTS_TWILIO_FROM nor BROADCASTS_TWILIO_MESSAGING_SERVICE_SID",
        ),
    ],
)
def test_each_contradiction_is_a_problem_that_names_the_settings(change, mail, expected):
    found = _findings(dataclasses.replace(GOOD, **change), dataclasses.replace(MAIL, **mail))
    assert [level for level, message in found if message.startswith(expected) or expected in message] == [
        Level.PROBLEM
    ], found
    assert all(level is not Level.OK for level, _ in found)


@pytest.mark.parametrize(
    ("change", "mail", "expected"),
    [
        ({"recovery_interval": 2, "scheduler_interval": 5}, {}, "BROADCASTS_RECOVERY_INTERVAL (2 s) is below"),
        ({"event_every": 0}, {}, "BROADCASTS_EVENT_EVERY is 0"),
        ({"public_url": "http://news.example.com"}, {}, "is not https"),
        ({}, {"suppress": True}, "MAIL_SUPPRESS_SEND is on"),
    ],
)
def test_settings_that_work_but_surprise_are_warnings(change, mail, expected):
    found = _findings(dataclasses.replace(GOOD, **change), dataclasses.replace(MAIL, **mail))
    assert [(level, expected in message) for level, message in found] == [(Level.WARNING, True)]


def test_the_report_has_a_line_per_finding_and_ends_with_the_count():
    lines = report(configuration(dataclasses.replace(GOOD, redis_url=None, event_every=0), MAIL))
    assert lines[-1] == "1 problem, 1 warning"
    assert "PROBLEM" in lines[0] and "configuration" in lines[0]
