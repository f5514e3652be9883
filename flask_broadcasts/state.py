"""The per-app state of the extension and its one accessor, :func:`get_state`: the bottom of the package.

:class:`~flask_broadcasts.Broadcasts` builds a :class:`BroadcastsState` in ``init_app``,
with every adapter (job dispatcher, progress publisher, fire timers, file storage, SMS
provider) already made and typed with its protocol, and keeps it in
``app.extensions["broadcasts"]``. Every other module reads it through :func:`get_state`
and never imports the extension object, so the dependencies point one way: the
extension (the top) knows everything, the state (the bottom) knows only protocols.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from flask import Flask, current_app

from .config import Settings

if TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy
    from redis import Redis
    from sqlalchemy.orm import Session

    from .channels.dkim import DkimSigner
    from .channels.sms import SmsProvider
    from .engine.dispatch import Dispatcher
    from .engine.timers import FireTimers
    from .events import ProgressPublisher
    from .extension import Broadcasts
    from .realtime.hub import Hub
    from .storage import FileStorage
    from .webhooks.queue import WebhookQueue

__all__ = ["EXTENSION_KEY", "BroadcastsState", "Settings", "get_state"]

#: Where the state lives in ``app.extensions``.
EXTENSION_KEY = "broadcasts"


@dataclass
class BroadcastsState:
    """What the extension keeps per app in ``app.extensions["broadcasts"]``.

    The adapters are plain attributes, set by ``init_app`` right after the state is made
    (the RQ and Redis ones need the state itself, for its live settings and connection);
    a test may assign its own double (an object following the same protocol) to any.
    """

    extension: Broadcasts
    db: SQLAlchemy
    settings: Settings
    #: Where jobs go (RQ by default: :class:`~flask_broadcasts.background.queues.RQDispatcher`).
    dispatcher: Dispatcher = field(init=False, repr=False)
    #: Where webhook delivery attempts go (RQ, ``BROADCASTS_WEBHOOK_QUEUE``, by default).
    webhook_queue: WebhookQueue = field(init=False, repr=False)
    #: Where progress events go (Redis pub/sub by default).
    publisher: ProgressPublisher = field(init=False, repr=False)
    #: Where fire times of scheduled campaigns wait (rq-scheduler by default).
    timers: FireTimers = field(init=False, repr=False)
    #: Where attachment bytes are kept (``BROADCASTS_FILE_STORAGE``; the database by default).
    file_storage: FileStorage = field(init=False, repr=False)
    #: The SMS provider ``BROADCASTS_SMS_PROVIDER`` names (see :attr:`sms_provider`).
    configured_sms_provider: SmsProvider = field(init=False, repr=False)
    #: Signs broadcast e-mails (``BROADCASTS_DKIM_*``); ``None``: DKIM is off.
    dkim_signer: DkimSigner | None = field(default=None, repr=False)
    #: This process's websocket hub, made on first use by :func:`flask_broadcasts.realtime.get_hub`.
    hub: Hub | None = field(default=None, repr=False)
    #: ``fetch(url) -> bytes`` of the SES callback (SNS certificates and subscription URLs);
    #: ``None`` is a GET through the SSRF guard. Tests set a stand-in here.
    sns_fetch: Callable[[str], bytes] | None = field(default=None, repr=False)
    _redis: Redis | None = field(default=None, repr=False)
    _sms_provider: SmsProvider | None = field(default=None, repr=False)

    @property
    def session(self) -> Session:
        """The host's ``db.session``, through which the extension's tables are queried."""
        # A scoped_session: a Session's interface through its proxy (``remove()`` is on ``db.session``).
        return cast("Session", self.db.session)

    @property
    def redis(self) -> Redis:
        """The Redis connection for queues, schedules and events (created on first use)."""
        if self._redis is None:
            from redis import Redis

            if not self.settings.redis_url:
                raise RuntimeError(
                    "Set REDIS_URL or BROADCASTS_REDIS_URL: broadcasts need Redis for queues and events."
                )
            self._redis = Redis.from_url(self.settings.redis_url)
        return self._redis

    @property
    def sms_provider(self) -> SmsProvider:
        """This app's SMS provider: one set on this state (``get_state(app).sms_provider = ...``,
        for one app of several), else the host's own on the extension
        (``broadcasts.sms_provider = ...``, which may be set after ``init_app``), else the one
        ``BROADCASTS_SMS_PROVIDER`` names.

        Providers open their network clients lazily, so a forked work horse never shares
        a parent's connection.
        """
        return self._sms_provider or self.extension.sms_provider or self.configured_sms_provider

    @sms_provider.setter
    def sms_provider(self, provider: SmsProvider | None) -> None:
        self._sms_provider = provider

    def forget_connections(self) -> None:
        """Drop connections inherited over ``fork()`` (a work horse opens its own).

        The adapters hold no connection of their own: they ask :attr:`redis` each time.
        """
        self._redis = None
        self.db.engine.dispose(close=False)


def get_state(app: Flask | None = None) -> BroadcastsState:
    """The extension state of ``app`` (default: the current app)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        state: BroadcastsState = app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "flask-broadcasts is not registered on this app; did you forget to call Broadcasts.init_app(app)?"
        ) from None
    return state
