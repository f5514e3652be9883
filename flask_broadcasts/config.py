"""Every ``BROADCASTS_*`` configuration key, its type, default and meaning, in one place.

:class:`Settings` is the table: one typed field per key (``batch_size`` is
``BROADCASTS_BATCH_SIZE``), its default and its one-line meaning (rendered into the docs
from :data:`SETTINGS`). :meth:`flask_broadcasts.Broadcasts.init_app` sets each default
once with ``app.config.setdefault`` and reads the app's values once into a
:class:`Settings`; the rest of the package reads ``get_state().settings``, never
``app.config``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The prefix of every key: field ``batch_size`` is ``BROADCASTS_BATCH_SIZE``.
PREFIX = "BROADCASTS_"


def setting(default: Any, doc: str) -> Any:
    """A :class:`Settings` field: its default and its meaning (kept in the field's metadata)."""
    return dataclasses.field(default=default, metadata={"doc": doc})


@dataclass
class Settings:
    """The ``BROADCASTS_*`` settings of one app, read once at ``init_app``."""

    url_prefix: str = setting("/api", "Where the JSON:API blueprint is mounted.")
    events_url_prefix: str | None = setting(
        None,
        "Where the plain blueprint (websocket, provider callbacks, file downloads) is mounted; ``None`` means the same prefix as the JSON:API blueprint.",
    )
    redis_url: str | None = setting(None, "Redis for RQ queues, schedules and events; ``None`` uses ``REDIS_URL``.")
    queue: str = setting("broadcasts", "Name of the RQ queue the send jobs go to.")
    batch_size: int = setting(
        500,
        "Messages a send job claims at a time, split among its connections (``BROADCASTS_MAIL_CONNECTIONS``): each first claims its share and sends it in order over its connection; its next claims hold about 2 s of its pace, between that share and this many, and at most a 1/(4 x connections) part of what the run has left.",
    )
    insert_chunk: int = setting(1000, "Recipients read, rendered and inserted per round when a run starts.")
    claim_ttl: float = setting(
        60,
        "Seconds a worker's claim on a batch (or on a run's materialization) lasts without renewal; the worker renews it every third of this while it works, so only a dead worker's claim expires and the recovery sweep takes it over. Keep it above ``BROADCASTS_SMTP_TIMEOUT``.",
    )
    smtp_timeout: float = setting(15, "Socket timeout (seconds) of the SMTP connection of a send job.")
    mail_connections: int | None = setting(
        None,
        "SMTP connections a send job keeps busy at once, each with a claim of its own, reused from batch to batch of the run (``MAIL_MAX_EMAILS`` still ends a connection). A killed worker leaves at most one message in doubt per connection (see Guarantees). ``None``: as many as pay, up to 8, on PostgreSQL — the send job starts with one, measures which share of its time it waits for the server's answers and, from half on, starts all 8 at once (a relay across a network; a server that answers in microseconds keeps one or two), looking again now and then; 1 on SQLite (a single writer; a larger value is lowered to 1 there). A number: exactly that many. Each connection may hold two database connections of the pool (its session's and the one it records on), so a send job runs at most ``(pool_size + max_overflow - 1) // 2`` of them: 7 with Flask-SQLAlchemy's default pool; give ``SQLALCHEMY_ENGINE_OPTIONS`` a pool of ``2 x connections + 1``.",
    )
    sms_concurrency: int | None = setting(
        None,
        "SMS requests a send job keeps in flight at once. A campaign without e-mail sends over this many connections, each with its claim (at most one message in doubt each); one with e-mail sends over its mail connections, this many of them in an SMS request at a time. ``None``: as many as pay, up to 8, on PostgreSQL (as ``BROADCASTS_MAIL_CONNECTIONS``); 1 on SQLite (lowered to 1 there).",
    )
    counter_flush: int | None = setting(
        None,
        "Messages a worker records before adding them to the campaign's counters in one atomic UPDATE (which also tells it whether the campaign was stopped); ``None`` uses ``BROADCASTS_EVENT_EVERY``.",
    )
    progress_interval: float = setting(
        0.1,
        "Shortest time (seconds) between two counter updates of one worker. A fast send crosses several multiples of ``BROADCASTS_EVENT_EVERY`` in that time: they go into one update and one event. ``0`` updates at every ``BROADCASTS_COUNTER_FLUSH`` messages.",
    )
    synchronous_records: bool = setting(
        False,
        "PostgreSQL: ``True`` makes each message's record wait until PostgreSQL has flushed it to disk (one disk flush per message). ``False`` commits records asynchronously and waits for the disk at each counter update; a worker that outlives a PostgreSQL crash records again what the crash lost. Either way a killed worker leaves at most one message in doubt per connection in flight (see Guarantees).",
    )
    send_job_budget: float | None = setting(
        None,
        "Seconds a send job keeps claiming further batches before it hands over to a fresh job; ``None`` uses half of ``BROADCASTS_JOB_TIMEOUT``.",
    )
    fair_share_slice: float | None = setting(
        5.0,
        "Seconds a send job runs before it gives its worker to another campaign's job waiting on the queue (its run goes on in a fresh job at the back of the queue), so that one big campaign does not starve a small one that started later on the same workers and rate limits. ``None``: only at the end of ``BROADCASTS_SEND_JOB_BUDGET``.",
    )
    job_timeout: int = setting(900, "RQ job timeout (seconds) of a send job.")
    retry_max: int = setting(
        10,
        "Tries of a message whose recipient gets a temporary answer (SMTP 4xx to RCPT or DATA: greylisting, a full mailbox) before it fails with ``temporary_failure``; also how many times a batch is retried when the provider is down or answers 421 or 4xx before the recipient (that costs no message a try).",
    )
    retry_intervals: Sequence[int] = setting(
        (5, 10, 30, 60, 120),
        "Back-off in seconds before a deferred message's next try, and between the retries of a batch (RQ ``Retry``); the last one repeats.",
    )
    rate_limits: Mapping[str, float] | None = setting(
        None,
        'Most messages per second of each channel, for every worker together (``{"mail": 50, "sms": 1}``; SMS counts segments; a channel not named, or ``None``, is not limited). Kept through Redis, on its clock. The host\'s ``rate_limit`` hook may lower it per organization (the lower wins).',
    )
    throttle_backoff: Sequence[float] = setting(
        (2, 300),
        "``(first, cap)`` seconds a channel pauses, for every worker, when its provider refuses without saying for how long (SMTP 421/451/452/454 before the recipient, a relay down): doubling while it keeps refusing, up to ``cap``, with jitter. A provider naming the time (``Retry-After``) is waited for exactly.",
    )
    scheduler_interval: float = setting(
        5, "Seconds between two polls of the scheduler (rq-scheduler's own default, 60, is too coarse)."
    )
    recovery_interval: float = setting(30, "Seconds between two runs of the recovery sweep.")
    event_channel_prefix: str = setting("broadcasts:org:", "Redis pub/sub channel prefix; the organization id follows.")
    event_every: int = setting(5, "A progress event is published each time sent+failed crosses a multiple of this.")
    preview_limit: int = setting(10, "How many draft messages the preview renders (the spec says at most 10).")
    page_size: int = setting(25, "Default ``page[size]`` of collections.")
    max_page_size: int = setting(100, "Largest accepted ``page[size]``.")
    mail_sender: str | tuple[str, str] | None = setting(
        None, "From address of broadcast e-mails; ``None`` uses ``MAIL_DEFAULT_SENDER``."
    )
    message_id_domain: str | None = setting(None, "Domain of generated Message-IDs; ``None`` uses the sender's domain.")
    dkim_domain: str | None = setting(
        None,
        "Domain (``d=``) that DKIM-signs every broadcast e-mail, with ``BROADCASTS_DKIM_SELECTOR`` and ``BROADCASTS_DKIM_PRIVATE_KEY`` (extra ``flask-broadcasts[dkim]``); ``None``: e-mails are not signed here (the mail server may sign them).",
    )
    dkim_selector: str | None = setting(
        None, "DKIM selector (``s=``): the key is published at ``<selector>._domainkey.<domain>``."
    )
    dkim_private_key: str | None = setting(
        None,
        "The DKIM private key: PEM text or the path of a PEM file; RSA (2048 bits or more) or Ed25519 (PKCS#8 ``BEGIN PRIVATE KEY``, RFC 8463).",
    )
    max_file_size: int = setting(5 * 1024 * 1024, "Largest accepted attachment, in bytes.")
    allowed_file_types: Sequence[str] = setting(
        ("application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain", "text/csv", "text/calendar"),
        "Accepted attachment media types.",
    )
    file_storage: Any = setting(
        None,
        'Where attachment bytes are kept: ``None`` for the database (``broadcast_file_blobs``, readable by every worker), or an object with ``save(key, data)``, ``open(key)`` and ``delete(key)``, or ``"package.module:factory"`` returning one.',
    )
    max_content_length: int = setting(1024 * 1024, "Largest accepted JSON:API request body, in bytes (413 above).")
    test_send_limit: int = setting(
        20, "Test sends (``broadcast-test-sends``) an organization may make per hour; then 429 with ``Retry-After``."
    )
    test_send_timeout: float = setting(5, "Socket timeout (seconds) of a test send's SMTP connection.")
    sms_provider: str = setting("logging", "``logging`` (development) or ``twilio``.")
    sms_default_window: Any = setting(
        ("08:00", "21:00"),
        'Quiet hours of SMS in the recipient\'s own time zone when the campaign has no ``send_window`` (the US TCPA\'s 08:00–21:00 by default): ``(start, end)`` or a window like ``send_window`` (``{"start": "09:00", "end": "20:00", "days": ["mon", "tue"]}``). ``None``: SMS go out at any hour (as before 0.2). A message with e-mail and SMS waits for it too.',
    )
    sms_timeout: float = setting(10, "Seconds an SMS gateway request may take before its outcome counts as unknown.")
    twilio_account_sid: str | None = setting(None, "Twilio account SID.")
    twilio_auth_token: str | None = setting(None, "Twilio auth token (also verifies status callbacks).")
    twilio_from: str | None = setting(None, "Sender number (E.164) for Twilio.")
    twilio_messaging_service_sid: str | None = setting(None, "Twilio messaging service, instead of a sender number.")
    twilio_base_url: str | None = setting(
        None, "Replaces ``https://api.twilio.com`` (a proxy, or a local stand-in in tests)."
    )
    ses_topic_arns: Sequence[str] | str = setting(
        (),
        "The Amazon SNS topics whose SES notifications the ``ses`` callback accepts (a list, or a JSON list); empty refuses every one (401).",
    )
    sendgrid_public_key: str | None = setting(
        None,
        "The public key of SendGrid's signed Event Webhook (base64 DER, as SendGrid shows it, or PEM); verifies the ``sendgrid`` callback.",
    )
    postmark_webhook_username: str | None = setting(
        None, "The basic-auth user name configured on the Postmark webhook (the ``postmark`` callback)."
    )
    postmark_webhook_password: str | None = setting(None, "The basic-auth password configured on the Postmark webhook.")
    mailgun_signing_key: str | None = setting(
        None, "Mailgun's HTTP webhook signing key; verifies the ``mailgun`` callback."
    )
    soft_bounce_limit: int = setting(
        3,
        "Consecutive soft bounces (of different messages, no delivery between them) after which an address is suppressed as ``bounced``.",
    )
    bounce_address: str | None = setting(
        None,
        "An address whose mailbox receives bounce mail (``bounces@example.com``): each e-mail's envelope sender becomes ``bounces+<message id>-<MAC>@example.com`` (VERP), which ``flask broadcasts bounces`` and ``flask_broadcasts.feedback.apply_bounce`` read back. Its local part may have at most 27 characters (the VERP address stays within RFC 5321's 64).",
    )
    guard_min_sent: int = setting(
        1000,
        "Deliverability guard: messages a run must have sent (since the last resume of a guard pause) before its complaint and hard-bounce rates are judged.",
    )
    guard_complaint_rate: float = setting(
        0.003,
        "Deliverability guard: a run whose complaints per message sent rise above this (0.3 %, Gmail's and Yahoo's threshold) is paused with ``status_reason`` ``deliverability_guard``. ``0`` or less turns this check off.",
    )
    guard_bounce_rate: float = setting(
        0.05,
        "Deliverability guard: a run whose hard bounces per message sent rise above this (5 %) is paused with ``status_reason`` ``deliverability_guard``. ``0`` or less turns this check off.",
    )
    public_url: str | None = setting(
        None,
        "Public base URL of this app (``https://app.example.com``): provider callback URLs and the unsubscribe links of e-mails are built on it. Starting a campaign with the ``mail`` channel needs it (409 ``public_url_required``): a worker has no request to build a URL from.",
    )
    tracking_machine_seconds: float = setting(
        10,
        "Opens and clicks within this many seconds of a message's ``sent_at`` count as machine activity (security scanners fetch every URL of an incoming e-mail), as do ``HEAD`` requests.",
    )
    tracking_machine_networks: Sequence[str] = setting(
        (),
        "Networks (CIDR, ``17.0.0.0/8``) whose opens and clicks count as machine activity: image proxies such as Apple Mail Privacy Protection's, link scanners. The requester's address decides it and is never stored.",
    )
    tracking_machine_user_agents: Sequence[str] = setting(
        (),
        "Substrings of user agents (case-insensitive, ``GoogleImageProxy``) whose opens and clicks count as machine activity. The user agent is never stored.",
    )
    unsubscribe_max_age: int = setting(
        90 * 24 * 3600,
        "Seconds an unsubscribe link stays valid after its e-mail (or SMS) was sent (90 days). Messages are kept at least as long, so the link can still find its message.",
    )
    unsubscribe_mailto: str | None = setting(
        None,
        "An address added to ``List-Unsubscribe`` as ``<mailto:...>`` beside the one-click URL (the host processes those e-mails itself).",
    )
    unsubscribe_footer: bool = setting(
        True,
        "Append an unsubscribe link to e-mails whose template does not use ``{unsubscribe_url}``.",
    )
    ws_allowed_origins: Sequence[str] = setting(
        (), "Origins allowed to open the websocket; empty allows same-origin only."
    )
    ws_queue_size: int = setting(100, "Events buffered per websocket before updates of one campaign are coalesced.")
    ws_ticket_ttl: int = setting(30, "Seconds a browser websocket ticket stays valid.")
    webhook_queue: str = setting(
        "broadcasts-webhooks",
        "Name of the RQ queue webhook deliveries go to (its own, so webhooks never hold up sending; ``flask broadcasts worker`` listens to both, sending first).",
    )
    webhook_allow_http: bool = setting(False, "Accept ``http://`` webhook URLs (``https`` only by default).")
    webhook_allowed_networks: Sequence[str] | str = setting(
        (),
        'Networks outbound requests may reach although private, loopback or link-local (a list, or a JSON list: ``["10.1.0.0/16"]``); the SSRF guard refuses them otherwise.',
    )
    webhook_retry_intervals: Sequence[float] = setting(
        (5, 300, 1800, 7200, 18000, 36000),
        "Seconds before each retry of a failed webhook delivery (the last repeats) until ``BROADCASTS_WEBHOOK_GIVE_UP_AFTER``.",
    )
    webhook_give_up_after: float = setting(
        24 * 3600,
        "Seconds after which a delivery that never got a 2xx is given up (``failed``); its webhook is then deactivated, with a ``webhook.deactivated`` event.",
    )
    webhook_timeout: float = setting(10, "Seconds a webhook request may take (connection and answer).")
    webhook_secret_grace: float = setting(
        24 * 3600,
        "Seconds the previous secret keeps signing (a second ``v1,`` signature) after a rotate-secret, so receivers can switch.",
    )
    api_title: str = setting("Broadcast Campaigns", "Title of the OpenAPI document.")
    api_version: str = setting("1.0", "Version of the OpenAPI document.")
    openapi_version: str = setting("3.0.3", "OpenAPI version of the served document.")
    openapi_url_prefix: str | None = setting(
        "/api/broadcasts-docs", "Where the OpenAPI document is served (``None`` disables it)."
    )
    openapi_json_path: str = setting("openapi.json", "File name of the OpenAPI document under its prefix.")
    dashboard_url_prefix: str | None = setting(
        None,
        "Where the operator dashboard is mounted (``/broadcasts``): campaigns, templates and audiences in the browser, over the JSON:API and the websocket only. ``None`` (the default): no dashboard.",
    )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """The settings in ``config`` (defaults already applied by :func:`apply_defaults`).

        ``redis_url`` falls back to the host's own ``REDIS_URL``.
        """
        values = {field.name: config[PREFIX + field.name.upper()] for field in dataclasses.fields(cls)}
        values["redis_url"] = values["redis_url"] or config.get("REDIS_URL")
        return cls(**values)


@dataclass(frozen=True)
class Setting:
    """One configuration key: its default and a one-line meaning (rendered in the docs)."""

    key: str
    default: Any
    doc: str


#: Every key, in the order of :class:`Settings` (what the docs and ``flask broadcasts settings`` list).
SETTINGS: tuple[Setting, ...] = tuple(
    Setting(PREFIX + field.name.upper(), field.default, field.metadata["doc"]) for field in dataclasses.fields(Settings)
)


def apply_defaults(config: MutableMapping[str, Any]) -> None:
    """Set every ``BROADCASTS_*`` key the host did not set (once, at ``init_app``)."""
    for item in SETTINGS:
        config.setdefault(item.key, item.default)
