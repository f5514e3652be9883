"""The customer and booking filters, shared by the host's list endpoints and broadcast audiences.

One function per resource turns a filter mapping into a query, so an audience
``{"status": "active", "search": "ada"}`` reaches exactly the customers that
``GET /api/customers?filter[status]=active&filter[search]=ada`` lists.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import ColumnElement, Select, and_, false, or_

from .models import BOOKING_STATUSES, CUSTOMER_STATUSES, Booking, Customer

_DIGITS = re.compile(r"[0-9]{1,18}")


class CustomerFilterSchema(Schema):
    """The filters of ``/api/customers`` and of ``customers`` audiences."""

    class Meta:
        unknown = RAISE

    search = fields.String(validate=validate.Length(min=1, max=200))
    status = fields.String(validate=validate.OneOf(CUSTOMER_STATUSES))
    locale = fields.String(validate=validate.Length(min=1, max=35))
    #: ``filter[marketing_opt_in]=true``: only the customers who agreed to marketing.
    marketing_opt_in = fields.Boolean()


class BookingFilterSchema(Schema):
    """The filters of ``/api/bookings`` and of ``bookings`` audiences (dates inclusive)."""

    class Meta:
        unknown = RAISE

    search = fields.String(validate=validate.Length(min=1, max=200))
    status = fields.String(validate=validate.OneOf(BOOKING_STATUSES))
    date_from = fields.Date()
    date_to = fields.Date()

    @validates_schema
    def _dates_in_order(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        if "date_from" in data and "date_to" in data and data["date_from"] > data["date_to"]:
            raise ValidationError("date_to must not be before date_from.", field_name="date_to")


def parse_pk(value: str | int) -> int | None:
    """The integer primary key in an id string (``?o=``, a URL, a resource identifier), or ``None``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # Strict digits: int() would also accept " 7", "+7" and "1_000".
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    return None


def _as_date(value: dt.date | str) -> dt.date:
    # Audiences may hand over the JSON they stored (ISO strings) or schema-loaded dates.
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _contains(column: Any, term: str) -> ColumnElement[bool]:
    # Escape LIKE wildcards: searching "50%" means the text "50%", not "50 then anything".
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _search(term: str, columns: tuple[Any, ...]) -> ColumnElement[bool]:
    """Every word of ``term`` appears (any case) in one of ``columns``: "ada love" finds Ada Lovelace."""
    words = term.split()
    return and_(*(or_(*(_contains(column, word) for column in columns)) for word in words))


def apply_customer_filters(select: Select, filters: Mapping[str, Any], organization_id: str | int) -> Select:
    """Restrict ``select(Customer)`` to an organization and to validated ``filters``, ordered by id.

    :param filters: keys of :class:`CustomerFilterSchema` (``search``, ``status``, ``locale``,
        ``marketing_opt_in``).
    :param organization_id: the tenant; a non-numeric one matches nothing.
    """
    org = parse_pk(organization_id)
    if org is None:
        return select.where(false())
    select = select.where(Customer.organization_id == org)
    if filters.get("search", "").strip():
        select = select.where(_search(filters["search"], (Customer.first_name, Customer.last_name, Customer.email)))
    if filters.get("status"):
        select = select.where(Customer.status == filters["status"])
    if filters.get("locale"):
        select = select.where(Customer.locale == filters["locale"])
    if filters.get("marketing_opt_in") is not None:
        select = select.where(Customer.marketing_opt_in.is_(bool(filters["marketing_opt_in"])))
    return select.order_by(Customer.id)


def apply_booking_filters(select: Select, filters: Mapping[str, Any], organization_id: str | int) -> Select:
    """Restrict ``select(Booking)`` to an organization and to validated ``filters``, ordered by id.

    :param filters: keys of :class:`BookingFilterSchema`; ``date_from`` and ``date_to``
        (dates or ISO strings) are inclusive; ``search`` looks at the customer's names
        and e-mail and at the service name.
    :param organization_id: the tenant; a non-numeric one matches nothing.
    """
    org = parse_pk(organization_id)
    if org is None:
        return select.where(false())
    select = select.where(Booking.organization_id == org)
    if filters.get("search", "").strip():
        words = filters["search"].split()
        customer_columns = (Customer.first_name, Customer.last_name, Customer.email)
        # EXISTS rather than a join: the caller's select stays one row per booking,
        # whatever else it joins.
        select = select.where(
            and_(
                *(
                    or_(
                        _contains(Booking.service_name, word),
                        Booking.customer.has(or_(*(_contains(column, word) for column in customer_columns))),
                    )
                    for word in words
                )
            )
        )
    if filters.get("status"):
        select = select.where(Booking.status == filters["status"])
    if filters.get("date_from"):
        select = select.where(Booking.date >= _as_date(filters["date_from"]))
    if filters.get("date_to"):
        select = select.where(Booking.date <= _as_date(filters["date_to"]))
    return select.order_by(Booking.id)


__all__ = [
    "BookingFilterSchema",
    "CustomerFilterSchema",
    "apply_booking_filters",
    "apply_customer_filters",
    "parse_pk",
]
