"""Every ``BROADCASTS_*`` configuration key, its default and its meaning, in one place.

:meth:`flask_broadcasts.Broadcasts.init_app` sets each default once with
``app.config.setdefault``; the rest of the package reads the settings from
:class:`flask_broadcasts.extension.BroadcastsState`, never from ``app.config`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One configuration key: its default and a one-line meaning (rendered in the docs)."""

    key: str
    default: Any
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("BROADCASTS_URL_PREFIX", "/api", "Where the JSON:API blueprint is mounted."),
    Setting(
        "BROADCASTS_EVENTS_URL_PREFIX",
        None,
        "Where the plain blueprint (websocket, provider callbacks, file downloads) is mounted; "
        "``None`` means the same prefix as the JSON:API blueprint.",
    ),
    Setting("BROADCASTS_REDIS_URL", None, "Redis for RQ queues, schedules and events; ``None`` uses ``REDIS_URL``."),
    Setting("BROADCASTS_QUEUE", "broadcasts", "Name of the RQ queue the send jobs go to."),
    Setting("BROADCASTS_BATCH_SIZE", 500, "Messages one send job claims and sends over one SMTP connection."),
    Setting("BROADCASTS_INSERT_CHUNK", 1000, "Recipients read, rendered and inserted per round when a run starts."),
    Setting(
        "BROADCASTS_CLAIM_TTL",
        60,
        "Seconds a worker's claim on a batch (or on a run's materialization) lasts without renewal; the worker "
        "renews it every third of this while it works, so only a dead worker's claim expires and the recovery "
        "sweep takes it over. Keep it above ``BROADCASTS_SMTP_TIMEOUT``.",
    ),
    Setting("BROADCASTS_SMTP_TIMEOUT", 15, "Socket timeout (seconds) of the SMTP connection of a send job."),
    Setting(
        "BROADCASTS_COUNTER_FLUSH",
        None,
        "Messages a worker records before adding them to the campaign's counters in one atomic UPDATE "
        "(which also tells it whether the campaign was stopped); ``None`` uses ``BROADCASTS_EVENT_EVERY``.",
    ),
    Setting(
        "BROADCASTS_PROGRESS_INTERVAL",
        0.1,
        "Shortest time (seconds) between two counter updates of one worker. A fast send crosses several "
        "multiples of ``BROADCASTS_EVENT_EVERY`` in that time: they go into one update and one event. "
        "``0`` updates at every ``BROADCASTS_COUNTER_FLUSH`` messages.",
    ),
    Setting(
        "BROADCASTS_SYNCHRONOUS_RECORDS",
        False,
        "PostgreSQL: ``True`` makes each message's record wait until PostgreSQL has flushed it to disk (one "
        "disk flush per message). ``False`` commits records asynchronously and waits for the disk at each "
        "counter update; a worker that outlives a PostgreSQL crash records again what the crash lost. "
        "Either way a killed worker leaves at most one message in doubt (see Guarantees).",
    ),
    Setting(
        "BROADCASTS_SEND_JOB_BUDGET",
        None,
        "Seconds a send job keeps claiming further batches before it hands over to a fresh job; "
        "``None`` uses half of ``BROADCASTS_JOB_TIMEOUT``.",
    ),
    Setting("BROADCASTS_JOB_TIMEOUT", 900, "RQ job timeout (seconds) of a send job."),
    Setting(
        "BROADCASTS_RETRY_MAX", 10, "How many times a batch is retried when the mail server is down or answers 4xx."
    ),
    Setting(
        "BROADCASTS_RETRY_INTERVALS", (5, 10, 30, 60, 120), "Backoff in seconds between those retries (RQ ``Retry``)."
    ),
    Setting(
        "BROADCASTS_SCHEDULER_INTERVAL",
        5,
        "Seconds between two polls of the scheduler (rq-scheduler's own default, 60, is too coarse).",
    ),
    Setting("BROADCASTS_RECOVERY_INTERVAL", 30, "Seconds between two runs of the recovery sweep."),
    Setting(
        "BROADCASTS_EVENT_CHANNEL_PREFIX",
        "broadcasts:org:",
        "Redis pub/sub channel prefix; the organization id follows.",
    ),
    Setting(
        "BROADCASTS_EVENT_EVERY", 5, "A progress event is published each time sent+failed crosses a multiple of this."
    ),
    Setting("BROADCASTS_PREVIEW_LIMIT", 10, "How many draft messages the preview renders (the spec says at most 10)."),
    Setting("BROADCASTS_PAGE_SIZE", 25, "Default ``page[size]`` of collections."),
    Setting("BROADCASTS_MAX_PAGE_SIZE", 100, "Largest accepted ``page[size]``."),
    Setting(
        "BROADCASTS_MAIL_SENDER", None, "From address of broadcast e-mails; ``None`` uses ``MAIL_DEFAULT_SENDER``."
    ),
    Setting(
        "BROADCASTS_MESSAGE_ID_DOMAIN", None, "Domain of generated Message-IDs; ``None`` uses the sender's domain."
    ),
    Setting("BROADCASTS_MAX_FILE_SIZE", 5 * 1024 * 1024, "Largest accepted attachment, in bytes."),
    Setting(
        "BROADCASTS_ALLOWED_FILE_TYPES",
        ("application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain", "text/csv", "text/calendar"),
        "Accepted attachment media types.",
    ),
    Setting(
        "BROADCASTS_FILE_STORAGE",
        None,
        "Where attachment bytes are kept: ``None`` for the database (``broadcast_file_blobs``, readable by "
        "every worker), or an object with ``save(key, data)``, ``open(key)`` and ``delete(key)``, or "
        '``"package.module:factory"`` returning one.',
    ),
    Setting(
        "BROADCASTS_MAX_CONTENT_LENGTH", 1024 * 1024, "Largest accepted JSON:API request body, in bytes (413 above)."
    ),
    Setting("BROADCASTS_SMS_PROVIDER", "logging", "``logging`` (development) or ``twilio``."),
    Setting(
        "BROADCASTS_SMS_TIMEOUT", 10, "Seconds an SMS gateway request may take before its outcome counts as unknown."
    ),
    Setting("BROADCASTS_TWILIO_ACCOUNT_SID", None, "Twilio account SID."),
    Setting("BROADCASTS_TWILIO_AUTH_TOKEN", None, "Twilio auth token (also verifies status callbacks)."),
    Setting("BROADCASTS_TWILIO_FROM", None, "Sender number (E.164) for Twilio."),
    Setting("BROADCASTS_TWILIO_MESSAGING_SERVICE_SID", None, "Twilio messaging service, instead of a sender number."),
    Setting(
        "BROADCASTS_TWILIO_BASE_URL",
        None,
        "Replaces ``https://api.twilio.com`` (a proxy, or a local stand-in in tests).",
    ),
    Setting("BROADCASTS_PUBLIC_URL", None, "Public base URL of this app, used to build provider callback URLs."),
    Setting(
        "BROADCASTS_WS_ALLOWED_ORIGINS", (), "Origins allowed to open the websocket; empty allows same-origin only."
    ),
    Setting(
        "BROADCASTS_WS_QUEUE_SIZE", 100, "Events buffered per websocket before updates of one campaign are coalesced."
    ),
    Setting("BROADCASTS_WS_TICKET_TTL", 30, "Seconds a browser websocket ticket stays valid."),
    Setting("BROADCASTS_API_TITLE", "Broadcast Campaigns", "Title of the OpenAPI document."),
    Setting("BROADCASTS_API_VERSION", "1.0", "Version of the OpenAPI document."),
    Setting("BROADCASTS_OPENAPI_VERSION", "3.0.3", "OpenAPI version of the served document."),
    Setting(
        "BROADCASTS_OPENAPI_URL_PREFIX",
        "/api/broadcasts-docs",
        "Where the OpenAPI document is served (``None`` disables it).",
    ),
    Setting("BROADCASTS_OPENAPI_JSON_PATH", "openapi.json", "File name of the OpenAPI document under its prefix."),
)


def apply_defaults(config: dict[str, Any]) -> None:
    """Set every ``BROADCASTS_*`` key the host did not set (once, at ``init_app``)."""
    for setting in SETTINGS:
        config.setdefault(setting.key, setting.default)
