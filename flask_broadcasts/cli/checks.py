"""The checks of ``flask broadcasts doctor``: each returns findings, none changes anything.

:func:`configuration` is pure (settings in, findings out); the others ask the real thing —
the mail server, Redis, the database, RQ's registries — through the modules that own
them (:mod:`~flask_broadcasts.channels.smtp_probe`, :mod:`~flask_broadcasts.migrations.status`,
:mod:`~flask_broadcasts.background.liveness`).
"""

from __future__ import annotations

import enum
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from ..channels.smtp import MailSettings
from ..config import Settings
from ..state import BroadcastsState

__all__ = [
    "Finding",
    "Level",
    "configuration",
    "migrations",
    "redis",
    "schedulers",
    "smtp",
    "workers",
]

#: Base64 makes an attachment a third larger; headers and the bodies come on top.
_MIME_GROWTH = 4 / 3
_MIME_HEADROOM = 64 * 1024


class Level(enum.Enum):
    """How bad a finding is: only a problem makes the doctor exit non-zero."""

    OK = "ok"
    WARNING = "warning"
    PROBLEM = "PROBLEM"


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report."""

    check: str
    level: Level
    message: str


def _ok(check: str, message: str) -> Finding:
    return Finding(check, Level.OK, message)


def _warning(check: str, message: str) -> Finding:
    return Finding(check, Level.WARNING, message)


def _problem(check: str, message: str) -> Finding:
    return Finding(check, Level.PROBLEM, message)


# -- configuration ---------------------------------------------------------------------------


def _timing(settings: Settings) -> list[Finding]:
    found = []
    for name, timeout in (
        ("BROADCASTS_SMTP_TIMEOUT", settings.smtp_timeout),
        ("BROADCASTS_SMS_TIMEOUT", settings.sms_timeout),
    ):
        if settings.claim_ttl <= timeout:
            found.append(
                _problem(
                    "configuration",
                    f"BROADCASTS_CLAIM_TTL ({settings.claim_ttl:g} s) is not above {name} ({timeout:g} s):"
                    " a claim can expire while its worker waits for an answer, and the recovery sweep hands"
                    " the batch to another worker.",
                )
            )
    budget = settings.send_job_budget
    if budget is not None and budget >= settings.job_timeout:
        found.append(
            _problem(
                "configuration",
                f"BROADCASTS_SEND_JOB_BUDGET ({budget:g} s) is not below BROADCASTS_JOB_TIMEOUT"
                f" ({settings.job_timeout} s): RQ kills a send job before it hands over to the next.",
            )
        )
    if settings.recovery_interval < settings.scheduler_interval:
        found.append(
            _warning(
                "configuration",
                f"BROADCASTS_RECOVERY_INTERVAL ({settings.recovery_interval:g} s) is below"
                f" BROADCASTS_SCHEDULER_INTERVAL ({settings.scheduler_interval:g} s): the sweep runs only as"
                " often as the scheduler polls.",
            )
        )
    if settings.page_size > settings.max_page_size:
        found.append(
            _problem(
                "configuration",
                f"BROADCASTS_PAGE_SIZE ({settings.page_size}) is above BROADCASTS_MAX_PAGE_SIZE"
                f" ({settings.max_page_size}): a list without page[size] is refused.",
            )
        )
    if settings.event_every <= 0:
        found.append(
            _warning(
                "configuration",
                "BROADCASTS_EVENT_EVERY is 0: no progress events while sending (the websocket and"
                " `campaigns watch` see status changes only).",
            )
        )
    return found


def _public_url(settings: Settings) -> list[Finding]:
    # getattr: the setting is the mail channel's since its unsubscribe links need it; a
    # version of the package without it has nothing to check here.
    if not hasattr(settings, "public_url"):
        return []
    url = getattr(settings, "public_url", None)
    if not url:
        return [
            _problem(
                "configuration",
                "BROADCASTS_PUBLIC_URL is not set: the mail channel's links (unsubscribe) and the SMS"
                " provider's status callbacks are built from it, and workers have no request to guess it from.",
            )
        ]
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [_problem("configuration", f"BROADCASTS_PUBLIC_URL ({url!r}) is not an absolute http(s) URL.")]
    if parts.scheme == "http":
        return [
            _warning(
                "configuration", f"BROADCASTS_PUBLIC_URL ({url}) is not https: mail clients warn about such links."
            )
        ]
    return []


def _mail(settings: Settings, mail: MailSettings) -> list[Finding]:
    found = []
    if not (settings.mail_sender or mail.default_sender):
        found.append(
            _problem(
                "configuration",
                "No sender: set BROADCASTS_MAIL_SENDER or MAIL_DEFAULT_SENDER (every e-mail needs a From).",
            )
        )
    if mail.use_ssl and mail.use_tls:
        found.append(
            _problem(
                "configuration",
                "MAIL_USE_SSL and MAIL_USE_TLS are both set: SSL from the first byte (port 465) and"
                " STARTTLS on a plain connection (port 587) exclude each other.",
            )
        )
    if mail.suppress:
        found.append(
            _warning("configuration", "MAIL_SUPPRESS_SEND is on: e-mails are recorded as sent but never leave.")
        )
    return found


def _sms(settings: Settings) -> list[Finding]:
    if settings.sms_provider != "twilio":
        return []
    found = []
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        found.append(
            _problem(
                "configuration",
                "BROADCASTS_SMS_PROVIDER is twilio but BROADCASTS_TWILIO_ACCOUNT_SID or"
                " BROADCASTS_TWILIO_AUTH_TOKEN is missing.",
            )
        )
    if not (settings.twilio_from or settings.twilio_messaging_service_sid):
        found.append(
            _problem(
                "configuration",
                "BROADCASTS_SMS_PROVIDER is twilio but neither BROADCASTS_TWILIO_FROM nor"
                " BROADCASTS_TWILIO_MESSAGING_SERVICE_SID is set: an SMS has no sender.",
            )
        )
    elif settings.twilio_from and settings.twilio_messaging_service_sid:
        found.append(
            _warning(
                "configuration",
                "Both BROADCASTS_TWILIO_FROM and BROADCASTS_TWILIO_MESSAGING_SERVICE_SID are set: Twilio"
                " picks the sender from the messaging service, BROADCASTS_TWILIO_FROM is ignored.",
            )
        )
    return found


def configuration(settings: Settings, mail: MailSettings) -> list[Finding]:
    """Settings missing or contradicting each other."""
    found = []
    if not settings.redis_url:
        found.append(
            _problem("configuration", "Neither BROADCASTS_REDIS_URL nor REDIS_URL is set: no queues, no events.")
        )
    found += _timing(settings) + _public_url(settings) + _mail(settings, mail) + _sms(settings)
    return found or [_ok("configuration", "no setting missing, none contradicting another")]


# -- the mail server ---------------------------------------------------------------------------


def _capabilities(offer: Any, mail: MailSettings, settings: Settings) -> list[Finding]:
    from ..channels.smtp_probe import CAPABILITIES

    found = []
    offered = ", ".join(f"{name} {offer.extensions[name]}".strip() for name in CAPABILITIES if name in offer.extensions)
    if "STARTTLS" in offer.before_tls and "STARTTLS" not in offer.extensions:
        offered = ", ".join(filter(None, [offered, "STARTTLS (used)"]))
    found.append(_ok("smtp", f"{mail.server}:{mail.port} answers EHLO: {offered or 'no extension'}"))
    if "PIPELINING" not in offer.extensions:
        found.append(_warning("smtp", "no PIPELINING: each message costs four round trips instead of one."))
    if "8BITMIME" not in offer.extensions:
        found.append(_ok("smtp", "no 8BITMIME: " + CAPABILITIES["8BITMIME"]))
    if not offer.encrypted:
        if "STARTTLS" in offer.before_tls:
            found.append(
                _warning("smtp", "the server offers STARTTLS but MAIL_USE_TLS is off: mail goes out unencrypted.")
            )
        elif mail.server not in ("127.0.0.1", "localhost", "::1"):
            found.append(_warning("smtp", "no STARTTLS and no MAIL_USE_SSL: mail and credentials go out unencrypted."))
    limit = offer.size_limit
    if limit is not None:
        largest = int(settings.max_file_size * _MIME_GROWTH) + _MIME_HEADROOM
        if limit < largest:
            found.append(
                _warning(
                    "smtp",
                    f"SIZE {limit}: a message with an attachment of BROADCASTS_MAX_FILE_SIZE"
                    f" ({settings.max_file_size} bytes) is about {largest} bytes and would be refused.",
                )
            )
    return found


def smtp(mail: MailSettings, settings: Settings) -> list[Finding]:
    """The mail server: reachable with the app's ``MAIL_*`` settings, and what its EHLO offers."""
    from ..channels.smtp_probe import probe_smtp

    try:
        offer = probe_smtp(mail, timeout=min(settings.smtp_timeout, 10.0))
    except smtplib.SMTPNotSupportedError:
        return [_problem("smtp", f"{mail.server}:{mail.port} does not offer STARTTLS, and MAIL_USE_TLS is on.")]
    except smtplib.SMTPAuthenticationError as exc:
        return [_problem("smtp", f"{mail.server}:{mail.port} refused the login of MAIL_USERNAME: {exc.smtp_code}.")]
    except (OSError, smtplib.SMTPException) as exc:
        return [
            _problem("smtp", f"cannot reach the mail server {mail.server}:{mail.port}: {exc or type(exc).__name__}")
        ]
    return _capabilities(offer, mail, settings)


# -- Redis, the database, the processes ----------------------------------------------------------


def redis(state: BroadcastsState) -> list[Finding]:
    """Redis answers."""
    from redis.exceptions import RedisError

    try:
        info = state.redis.info("server")
    except (RedisError, OSError, RuntimeError) as exc:
        return [_problem("redis", f"Redis does not answer: {exc}")]
    return [_ok("redis", f"Redis {info.get('redis_version', '?')} answers")]


def migrations(app: Flask, state: BroadcastsState) -> list[Finding]:
    """The database is reachable and at the head of its migrations."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..migrations.status import revision_status

    try:
        with state.db.engine.connect() as connection:
            status = revision_status(app, connection)
    except SQLAlchemyError as exc:
        return [_problem("migrations", f"the database does not answer: {exc.__class__.__name__}: {exc}")]
    if status.at_head:
        return [_ok("migrations", f"database at head ({', '.join(status.current)})")]
    if not status.current:
        return [_problem("migrations", "the database was never migrated: run `flask db upgrade`.")]
    if status.unknown and status.source != "Flask-Migrate":
        return [
            _warning(
                "migrations",
                f"the database is at {', '.join(status.current)}, which the extension's revisions do not"
                " know (the host's own?): register Flask-Migrate before the extension to have it compared.",
            )
        ]
    if status.unknown:
        return [
            _problem(
                "migrations",
                f"the database is at {', '.join(status.unknown)}, which no migration script knows"
                " (a newer release's?).",
            )
        ]
    return [
        _problem(
            "migrations",
            f"the database is at {', '.join(status.current)}, not at head ({', '.join(status.heads)}):"
            " run `flask db upgrade`.",
        )
    ]


def workers(state: BroadcastsState) -> list[Finding]:
    """Some worker listens on ``BROADCASTS_QUEUE``."""
    from ..background.liveness import queue_workers

    found = queue_workers(state)
    queue = state.settings.queue
    if not found:
        return [
            _problem(
                "workers",
                f"no worker on queue {queue}: nothing is sent (start `flask broadcasts worker`).",
            )
        ]
    names = ", ".join(f"{worker.name} ({worker.state})" for worker in found)
    return [_ok("workers", f"{len(found)} on queue {queue}: {names}")]


def schedulers(state: BroadcastsState, *, now: datetime | None = None) -> list[Finding]:
    """A scheduler runs (fire times, the recovery sweep) and a worker's RQ scheduler moves retries."""
    from ..background.liveness import scheduler_status

    now = now or datetime.now(UTC)
    status = scheduler_status(state)
    found = []
    if status.alive:
        names = ", ".join(status.instances) or "holding its lock"
        found.append(_ok("scheduler", f"rq-scheduler alive: {names}"))
    else:
        found.append(
            _problem(
                "scheduler",
                "no scheduler running: scheduled and recurring campaigns do not fire and the recovery"
                " sweep does not run (start `flask broadcasts scheduler`).",
            )
        )
    sweep = status.sweep_next_run
    late = timedelta(seconds=state.settings.scheduler_interval * 2 + state.settings.recovery_interval)
    if sweep is None:
        found.append(
            _warning("scheduler", "the recovery sweep is not registered (a scheduler registers it as it starts).")
        )
    elif sweep < now - late:
        found.append(
            _warning("scheduler", f"the recovery sweep is overdue since {sweep:%H:%M:%S} UTC: no scheduler is polling.")
        )
    if status.retry_scheduler is None:
        found.append(
            _warning(
                "scheduler",
                f"no worker holds RQ's scheduler lock for queue {state.settings.queue}: retried batches wait"
                " for the recovery sweep instead of their backoff.",
            )
        )
    return found
