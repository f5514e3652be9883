"""The extension object, :class:`Broadcasts`, and the per-app state it keeps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app

from . import config as config_module
from .host import AudienceSource, CommunitySource, binding_variables

if TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy
    from redis import Redis
    from sqlalchemy.orm import Session

    from .delivery.sms import SmsProvider

EXTENSION_KEY = "broadcasts"

TokenLoader = Callable[[str], Any]
OrganizationAccess = Callable[[Any, str], bool]
F = TypeVar("F", bound=Callable[..., Any])


class Settings:
    """The ``BROADCASTS_*`` settings of one app, read once at ``init_app``.

    ``settings.batch_size`` is ``app.config["BROADCASTS_BATCH_SIZE"]``.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        for setting in config_module.SETTINGS:
            setattr(self, setting.key.removeprefix("BROADCASTS_").lower(), config[setting.key])
        self.redis_url = config["BROADCASTS_REDIS_URL"] or config.get("REDIS_URL")

    def __getattr__(self, name: str) -> Any:  # only reached for unknown names
        raise AttributeError(f"no setting BROADCASTS_{name.upper()}")


@dataclass
class BroadcastsState:
    """What the extension keeps per app in ``app.extensions["broadcasts"]``."""

    extension: Broadcasts
    db: SQLAlchemy
    settings: Settings
    _redis: Redis | None = field(default=None, repr=False)
    #: Where jobs go (:class:`flask_broadcasts.services.dispatch.Dispatcher`); RQ by default.
    _dispatcher: Any = field(default=None, repr=False)
    #: Where progress events go (:class:`flask_broadcasts.events.ProgressPublisher`); Redis by default.
    _publisher: Any = field(default=None, repr=False)
    #: This app's SMS provider (see :attr:`sms_provider`).
    _sms_provider: SmsProvider | None = field(default=None, repr=False)

    @property
    def session(self) -> Session:
        """The host's ``db.session``, through which the extension's tables are queried."""
        return self.db.session

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

    def forget_connections(self) -> None:
        """Drop connections inherited over ``fork()`` (a work horse opens its own)."""
        self._redis = None
        self._dispatcher = None
        self._publisher = None
        self.db.engine.dispose(close=False)

    @property
    def dispatcher(self) -> Any:
        """Where jobs go: an :class:`~flask_broadcasts.queues.RQDispatcher` unless a test set another."""
        if self._dispatcher is None:
            from .queues import RQDispatcher

            self._dispatcher = RQDispatcher(self)
        return self._dispatcher

    @dispatcher.setter
    def dispatcher(self, value: Any) -> None:
        self._dispatcher = value

    @property
    def publisher(self) -> Any:
        """Where progress events go: Redis pub/sub unless a test set another."""
        if self._publisher is None:
            from .events import RedisProgressPublisher

            self._publisher = RedisProgressPublisher(self.redis, self.settings.event_channel_prefix)
        return self._publisher

    @publisher.setter
    def publisher(self, value: Any) -> None:
        self._publisher = value

    @property
    def sms_provider(self) -> SmsProvider:
        """This app's SMS provider: one set on the app's state or on the extension
        (``broadcasts.sms_provider = ...``), else the one ``BROADCASTS_SMS_PROVIDER``
        names, built on first use (providers open their network clients lazily, so a
        forked work-horse never shares a parent's connection).
        """
        if self._sms_provider is None:
            if self.extension.sms_provider is not None:
                return self.extension.sms_provider
            from .delivery.sms import build_sms_provider

            self._sms_provider = build_sms_provider(self.settings)
        return self._sms_provider

    @sms_provider.setter
    def sms_provider(self, value: SmsProvider | None) -> None:
        self._sms_provider = value


def get_state(app: Flask | None = None) -> BroadcastsState:
    """The extension state of ``app`` (default: the current app)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        return app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "flask-broadcasts is not registered on this app; did you forget to call Broadcasts.init_app(app)?"
        ) from None


class Broadcasts:
    """Broadcast campaigns for a Flask app.

    ::

        db = SQLAlchemy(app)
        migrate = Migrate(app, db)
        broadcasts = Broadcasts(app, db=db)

        @broadcasts.token_loader
        def load_user(token): ...

        @broadcasts.organization_access
        def is_member(user, organization_id): ...

    or, in an app factory, ``broadcasts = Broadcasts(db=db)`` then ``broadcasts.init_app(app)``.

    :param app: the app to register on now.
    :param db: the host's Flask-SQLAlchemy instance; the extension's tables are
        queried through its session and engine.
    """

    def __init__(self, app: Flask | None = None, *, db: SQLAlchemy | None = None) -> None:
        self.db = db
        self._token_loader: TokenLoader | None = None
        self._organization_access: OrganizationAccess | None = None
        self.audience_sources: dict[str, AudienceSource] = {}
        self.community_source: CommunitySource | None = None
        #: The host's own SMS provider; when ``None``, ``BROADCASTS_SMS_PROVIDER`` picks one.
        self.sms_provider: SmsProvider | None = None
        if app is not None:
            self.init_app(app)

    # -- registration --------------------------------------------------------------------

    def init_app(self, app: Flask, *, db: SQLAlchemy | None = None) -> None:
        """Register the extension on ``app``: settings, blueprints, CLI and migrations."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("flask-broadcasts is already registered on this app.")
        db = db or self.db
        if db is None:
            raise RuntimeError("Broadcasts needs the host's Flask-SQLAlchemy instance: Broadcasts(app, db=db).")
        config_module.apply_defaults(app.config)
        state = BroadcastsState(extension=self, db=db, settings=Settings(app.config))
        app.extensions[EXTENSION_KEY] = state

        from .blueprints import register_blueprints
        from .cli import broadcasts_cli

        register_blueprints(app, state)
        app.cli.add_command(broadcasts_cli)

        if "migrate" in app.extensions:
            from .migrations import install

            install(app.extensions["migrate"])
        else:  # none yet: warn if one turns up by the app's first context (registered after us)
            from .migrations import watch_for_late_migrate

            watch_for_late_migrate(app)

    # -- host hooks (decorators, as Flask-Login's user_loader) ---------------------------

    def token_loader(self, callback: F) -> F:
        """Register ``callback(token) -> principal | None`` that authenticates a Bearer token."""
        self._token_loader = callback
        return callback

    def organization_access(self, callback: F) -> F:
        """Register ``callback(principal, organization_id) -> bool``: may the principal act in it?"""
        self._organization_access = callback
        return callback

    def load_principal(self, token: str) -> Any | None:
        """The principal of a Bearer token, or ``None``. Fail-closed: no hook, no principal."""
        if self._token_loader is None:
            return None
        return self._token_loader(token)

    def may_access(self, principal: Any, organization_id: str) -> bool:
        """Whether ``principal`` may act in ``organization_id``. Fail-closed: no hook, no access."""
        if self._organization_access is None:
            return False
        return bool(self._organization_access(principal, organization_id))

    def missing_hooks(self) -> tuple[str, ...]:
        """The auth hooks not registered (``token_loader``, ``organization_access``): without
        them every request is refused."""
        hooks = (("token_loader", self._token_loader), ("organization_access", self._organization_access))
        return tuple(name for name, hook in hooks if hook is None)

    def add_audience_source(self, source: AudienceSource) -> AudienceSource:
        """Register a dynamic audience type (``customers``, ``bookings``)."""
        self.audience_sources[source.audience_type] = source
        return source

    def set_community_source(self, source: CommunitySource) -> CommunitySource:
        """Register how community audiences find a community and its members."""
        self.community_source = source
        return source

    def use_sms_provider(self, provider: SmsProvider) -> SmsProvider:
        """Send SMS through ``provider`` (any :class:`~flask_broadcasts.delivery.sms.SmsProvider`)
        instead of the one ``BROADCASTS_SMS_PROVIDER`` names. Same as ``broadcasts.sms_provider = provider``.
        """
        self.sms_provider = provider
        return provider

    # -- what the rest of the package asks -----------------------------------------------

    @property
    def audience_types(self) -> tuple[str, ...]:
        """The registered audience types, ``community`` last when a community source is set."""
        types = list(self.audience_sources)
        if self.community_source is not None:
            types.append("community")
        return tuple(types)

    @property
    def binding_variables(self) -> dict[str, frozenset[str]]:
        """Binding type → the variables it offers (declared on the recipient models)."""
        return binding_variables(self.audience_sources.values())

    def audience_source(self, audience_type: str) -> AudienceSource:
        """The source of recipients of an audience type (community → its members' source)."""
        if audience_type == "community" and self.community_source is not None:
            return self.audience_sources[self.community_source.member_source]
        return self.audience_sources[audience_type]

    def source_for_resource_type(self, resource_type: str) -> AudienceSource | None:
        """The audience source whose recipients are of JSON:API ``resource_type``, or ``None``."""
        for source in self.audience_sources.values():
            if source.resource_type == resource_type:
                return source
        return None

    def sources(self) -> Iterable[AudienceSource]:
        """Every registered audience source."""
        return self.audience_sources.values()
