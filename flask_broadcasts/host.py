"""The host contract: what a host product provides so that broadcasts can reach its people.

The extension never imports host code. A host

* marks its recipient models with :class:`RecipientMixin` (customers) or
  :class:`BookingRecipientMixin` (bookings) and declares the variables each offers;
* registers an :class:`AudienceSource` per audience type, built on **the same filter
  function** that serves its own ``/customers`` and ``/bookings`` endpoints, and a
  :class:`CommunitySource` for community audiences;
* registers two auth hooks on :class:`~flask_broadcasts.Broadcasts`:
  ``@broadcasts.token_loader`` and ``@broadcasts.organization_access``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from sqlalchemy import Select, select

#: A host filter function: ``apply_filters(select, filters, organization_id) -> Select``.
FilterFunction = Callable[[Select, Mapping[str, Any], str], Select]
#: ``consent_criterion(channel)`` → SQL true for recipients who accept ``channel`` (``None``: no opt-in).
ConsentCriterion = Callable[[str], Any]
#: Turns a host object into a JSON:API resource object (``{"type", "id", "attributes", ...}``).
Serializer = Callable[[Any], dict[str, Any]]


class RecipientMixin:
    """Mixin for a host model that can receive broadcasts (a customer).

    Override :meth:`get_variable_bindings` and declare :attr:`broadcast_variables`, the
    names it returns, so templates can be validated before any recipient exists.
    The contact properties read ``email``, ``mobile`` and ``locale`` attributes by
    default; override them when the host's columns are named otherwise.
    """

    #: The binding type this model provides; templates name it in ``binding_type``.
    broadcast_binding_type: ClassVar[str] = "customer"
    #: Every variable :meth:`get_variable_bindings` returns.
    broadcast_variables: ClassVar[tuple[str, ...]] = ()

    def get_variable_bindings(self) -> Mapping[str, Any]:
        """The values of this recipient's template variables (the spec's ``getVariableBindings``)."""
        raise NotImplementedError("override get_variable_bindings() on your recipient model")

    @property
    def broadcast_id(self) -> str:
        """The recipient's id as stored on its messages (``str(self.id)``)."""
        return str(self.id)  # type: ignore[attr-defined]

    @property
    def broadcast_email(self) -> str | None:
        """The e-mail address (the ``email`` attribute); ``None`` means no ``mail`` channel."""
        return getattr(self, "email", None) or None

    @property
    def broadcast_mobile(self) -> str | None:
        """The mobile number in E.164 (the ``mobile`` attribute); ``None`` means no ``sms`` channel."""
        return getattr(self, "mobile", None) or None

    @property
    def broadcast_locale(self) -> str | None:
        """The preferred locale tag (the ``locale`` attribute); ``None`` means the default texts."""
        return getattr(self, "locale", None) or None

    @property
    def broadcast_timezone(self) -> str | None:
        """The recipient's IANA time zone (the ``timezone`` attribute): quiet hours and local
        delivery times are read in it. ``None``: the number's region for SMS, else the campaign's."""
        return getattr(self, "timezone", None) or None

    @property
    def broadcast_customer(self) -> RecipientMixin | None:
        """The customer behind this recipient (for ``include=customer``); a customer is its own."""
        return self

    def broadcast_accepts(self, channel: str) -> bool:
        """Whether the recipient agreed to receive broadcasts on ``channel`` (``mail``, ``sms``).

        The fallback of the host's opt-in when its audience source declares no
        ``consent_criterion``: ``False`` keeps the channel out, with ``error_code``
        ``no_consent``. ``True`` by default (the host collected consent elsewhere).
        """
        return True


class BookingRecipientMixin(RecipientMixin):
    """Mixin for a booking: the customer's contact details and variables plus the booking's own.

    Override ``booking_variables`` and :meth:`get_booking_bindings`; the customer is
    read from a ``customer`` attribute (override ``broadcast_customer`` otherwise).
    The declared variables are the customer model's plus the booking's.
    """

    broadcast_binding_type: ClassVar[str] = "booking"
    #: The customer model, whose declared variables a booking also offers.
    customer_model: ClassVar[type[RecipientMixin]]
    booking_variables: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        customer_model = cls.__dict__.get("customer_model")
        if customer_model is not None:
            cls.broadcast_variables = tuple(
                dict.fromkeys((*customer_model.broadcast_variables, *cls.booking_variables))
            )

    def get_booking_bindings(self) -> Mapping[str, Any]:
        """The booking's own variables (its ``booking_variables``); override it."""
        raise NotImplementedError("override get_booking_bindings() on your booking model")

    def get_variable_bindings(self) -> Mapping[str, Any]:
        """The customer's bindings updated with :meth:`get_booking_bindings`."""
        customer = self.broadcast_customer
        bindings: dict[str, Any] = dict(customer.get_variable_bindings()) if customer is not None else {}
        bindings.update(self.get_booking_bindings())
        return bindings

    @property
    def broadcast_customer(self) -> RecipientMixin | None:
        """The booking's customer (the ``customer`` attribute)."""
        return getattr(self, "customer", None)

    @property
    def broadcast_email(self) -> str | None:
        """The customer's e-mail address."""
        customer = self.broadcast_customer
        return customer.broadcast_email if customer is not None else None

    @property
    def broadcast_mobile(self) -> str | None:
        """The customer's mobile number."""
        customer = self.broadcast_customer
        return customer.broadcast_mobile if customer is not None else None

    @property
    def broadcast_locale(self) -> str | None:
        """The customer's locale."""
        customer = self.broadcast_customer
        return customer.broadcast_locale if customer is not None else None

    @property
    def broadcast_timezone(self) -> str | None:
        """The customer's time zone."""
        customer = self.broadcast_customer
        return customer.broadcast_timezone if customer is not None else None

    def broadcast_accepts(self, channel: str) -> bool:
        """The customer's consent (a booking has none of its own)."""
        customer = self.broadcast_customer
        return customer.broadcast_accepts(channel) if customer is not None else True


class FilterSchema(Protocol):
    """A marshmallow schema class for an audience source's filter keys."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class AudienceSource:
    """A dynamic audience type (``customers`` or ``bookings``) backed by the host's own filters.

    :param audience_type: the ``audience_type`` value of audiences that use it.
    :param model: the host's recipient model (a :class:`RecipientMixin`).
    :param resource_type: the JSON:API type of a recipient in the host API (``customers``).
    :param apply_filters: the host's filter function, shared with its own list endpoint.
    :param filter_schema: a marshmallow schema class of the accepted filter keys
        (unknown keys are rejected with a 422 pointing at the key).
    :param serialize: turns a recipient into a JSON:API resource object for ``include``.
    :param load_options: SQLAlchemy loader options applied when recipients are read
        for sending (e.g. ``selectinload(Booking.customer)``), so rendering never
        issues one query per recipient.
    :param consent_criterion: ``consent_criterion(channel)`` → a SQL criterion over the
        audience query's entities, true for recipients who accept broadcasts on
        ``channel`` (``Customer.marketing_opt_in.is_(True)``), or ``None`` when the channel
        needs no opt-in. It is added to the audience's SQL as a column, so the preview's
        counts stay one ``COUNT`` and a run reads it with each chunk; without it, each
        recipient's :meth:`RecipientMixin.broadcast_accepts` decides.
    """

    audience_type: str
    model: type[RecipientMixin]
    resource_type: str
    apply_filters: FilterFunction
    filter_schema: type | None
    serialize: Serializer
    load_options: tuple[Any, ...] = field(default=())
    consent_criterion: ConsentCriterion | None = None

    @property
    def binding_type(self) -> str:
        """The binding type of the source's model (``customer``, ``booking``)."""
        return self.model.broadcast_binding_type

    def recipients(self, filters: Mapping[str, Any], organization_id: str) -> Select:
        """The query of this audience's recipients, in a stable order (never a list).

        ``filters`` are as ``filter_schema`` loads them (dates as dates ...), the
        shape the host's own list endpoint passes; stored audiences are loaded by
        ``flask_broadcasts.services.audiences.audience_recipients``.
        """
        stmt = self.apply_filters(select(self.model), filters, organization_id)
        return stmt.options(*self.load_options)


@dataclass(frozen=True)
class CommunitySource:
    """Community audiences: all members of a community of the host.

    :param model: the host's community model.
    :param get: ``get(community_id, organization_id)`` → the community, or ``None``
        when it does not exist in that organization.
    :param members: ``members(select, community_id, organization_id)`` → the query of
        its members, built on ``select``, a ``select()`` of ``member_source``'s model to
        which the extension has already applied that source's ``load_options``.
    :param serialize: turns a community into a JSON:API resource object.
    :param member_source: the audience type of the members (``customers``).
    """

    model: type
    get: Callable[[str, str], Any | None]
    members: Callable[[Select, str, str], Select]
    serialize: Serializer
    resource_type: str = "communities"
    member_source: str = "customers"


def binding_variables(sources: Iterable[AudienceSource]) -> dict[str, frozenset[str]]:
    """The variables each binding type offers, from the registered recipient models."""
    return {source.binding_type: frozenset(source.model.broadcast_variables) for source in sources}
