"""The extension object, :class:`Broadcasts`: the top of the package.

``init_app`` builds every adapter (typed with its protocol) into the app's
:class:`~flask_broadcasts.state.BroadcastsState`, registers the blueprints, the CLI and
the migrations. Nothing in the package imports this module but its public face
(``flask_broadcasts/__init__.py``); the rest reads :func:`~flask_broadcasts.state.get_state`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask

from .config import Settings, apply_defaults
from .host import AudienceSource, CommunitySource, binding_variables
from .state import EXTENSION_KEY, BroadcastsState, get_state

if TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy

    from .channels.sms import SmsProvider

# Re-exported for one release: these lived here before ``state.py`` (import them from there).
__all__ = ["EXTENSION_KEY", "Broadcasts", "BroadcastsState", "Settings", "get_state"]

TokenLoader = Callable[[str], Any]
OrganizationAccess = Callable[[Any, str], bool]
F = TypeVar("F", bound=Callable[..., Any])


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
        self._organization_name: Callable[[str], str | None] | None = None
        self._rate_limit: Callable[[str, str], float | None] | None = None
        self._sms_number_organization: Callable[[str], str | None] | None = None
        self._dashboard_session: Callable[[], tuple[str, str] | None] | None = None
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
        apply_defaults(app.config)
        app.extensions[EXTENSION_KEY] = state = self._build_state(db, Settings.from_config(app.config))

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

    def _build_state(self, db: SQLAlchemy, settings: Settings) -> BroadcastsState:
        """The app's state with every adapter made (each asks the state for Redis when it needs it)."""
        from .background.queues import RQDispatcher, RQWebhookQueue
        from .background.timers import RQFireTimers
        from .channels.dkim import build_dkim_signer
        from .channels.sms import build_sms_provider
        from .events import RedisProgressPublisher
        from .outbound import parse_networks
        from .signing import check_bounce_address
        from .storage import build_file_storage

        try:  # a bad value fails here, not at the first webhook
            parse_networks(settings.webhook_allowed_networks)
        except ValueError as exc:
            raise ValueError(f"BROADCASTS_WEBHOOK_ALLOWED_NETWORKS: {exc}") from None
        if settings.bounce_address:  # too long a local part fails here, not at the first e-mail
            check_bounce_address(settings.bounce_address)
        state = BroadcastsState(extension=self, db=db, settings=settings)
        state.file_storage = build_file_storage(settings.file_storage)
        state.configured_sms_provider = build_sms_provider(settings)
        state.dkim_signer = build_dkim_signer(settings)
        state.dispatcher = RQDispatcher(state)
        state.webhook_queue = RQWebhookQueue(state)
        state.publisher = RedisProgressPublisher(lambda: state.redis, settings.event_channel_prefix)
        state.timers = RQFireTimers(state)
        return state

    # -- host hooks (decorators, as Flask-Login's user_loader) ---------------------------

    def token_loader(self, callback: F) -> F:
        """Register ``callback(token) -> principal | None`` that authenticates a Bearer token."""
        self._token_loader = callback
        return callback

    def organization_access(self, callback: F) -> F:
        """Register ``callback(principal, organization_id) -> bool``: may the principal act in it?

        ``organization_id`` is the request's raw ``?o=`` string. ``False`` answers 403 "You are
        not a member of this organization."; to say why instead, raise
        :class:`~flask_broadcasts.AccessDenied` ``(detail, code=...)``: its detail and code are
        the 403's.
        """
        self._organization_access = callback
        return callback

    def organization_name(self, callback: F) -> F:
        """Register ``callback(organization_id) -> str | None``: the name recipients know the
        organization by (the unsubscribe page names it, ``List-Id`` carries it). Optional: without
        it, the organization's id is shown."""
        self._organization_name = callback
        return callback

    def rate_limit(self, callback: F) -> F:
        """Register ``callback(organization_id, channel) -> float | None``: the most messages per
        second (SMS: segments) the organization may send on ``channel`` — a plan's speed.
        ``None``: no limit of its own. ``BROADCASTS_RATE_LIMITS`` still applies; the lower wins.
        Asked again every half minute by each connection of a send job."""
        self._rate_limit = callback
        return callback

    def sms_number_organization(self, callback: F) -> F:
        """Register ``callback(receiving_number) -> organization_id | None``: whose number an
        inbound SMS (STOP, START, HELP) was sent to (E.164, as the provider gives it). Optional:
        without it, or when it answers ``None``, a keyword takes effect in *every* organization
        that sent an SMS to the recipient's number (docs: "SMS keywords")."""
        self._sms_number_organization = callback
        return callback

    def dashboard_session(self, callback: F) -> F:
        """Register ``callback() -> (token, organization_id) | None``: signs the dashboard in from
        the host's own session (its login cookie), so operators need not paste a token. Called in
        the request of the dashboard's ``session`` endpoint; ``None``: not signed in, the page asks
        for a token. Optional: without it, the page always asks. The page keeps the token in
        memory only (never in a URL or the browser's storage)."""
        self._dashboard_session = callback
        return callback

    @property
    def has_dashboard_session(self) -> bool:
        """Whether the host registered :meth:`dashboard_session`."""
        return self._dashboard_session is not None

    def dashboard_session_of_request(self) -> tuple[str, str] | None:
        """The host's ``(token, organization_id)`` for the current request (the
        :meth:`dashboard_session` hook), else ``None``."""
        if self._dashboard_session is None:
            return None
        found = self._dashboard_session()
        if not found:
            return None
        token, organization_id = found
        return (str(token), str(organization_id)) if token and organization_id else None

    def organization_of_sms_number(self, receiving_number: str | None) -> str | None:
        """The organization of our ``receiving_number`` (the :meth:`sms_number_organization` hook), else ``None``."""
        if self._sms_number_organization is None or not receiving_number:
            return None
        organization_id = self._sms_number_organization(receiving_number)
        return None if organization_id is None or organization_id == "" else str(organization_id)

    def rate_limit_of(self, organization_id: str, channel: str) -> float | None:
        """The organization's own rate on ``channel`` (the :meth:`rate_limit` hook), else ``None``."""
        if self._rate_limit is None:
            return None
        value = self._rate_limit(str(organization_id), channel)
        return float(value) if value else None

    def name_of_organization(self, organization_id: str) -> str:
        """The organization's display name (the :meth:`organization_name` hook), else its id."""
        name = self._organization_name(str(organization_id)) if self._organization_name is not None else None
        return str(name) if name else str(organization_id)

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
        """Send SMS through ``provider`` (any :class:`~flask_broadcasts.channels.sms.SmsProvider`)
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
        """Binding type → the variables it offers (declared on the recipient models, plus the
        extension's own ``unsubscribe_url``)."""
        from .rendering.placeholders import EXTENSION_VARIABLES

        offered = binding_variables(self.audience_sources.values())
        return {binding_type: names | EXTENSION_VARIABLES for binding_type, names in offered.items()}

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
