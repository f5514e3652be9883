"""``/api/bookings``: list (with the shared filters) and create."""

from __future__ import annotations

from flask import Response, url_for
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..extensions import db
from ..filters import BookingFilterSchema, apply_booking_filters, parse_pk
from ..models import BOOKING_STATUSES, Booking
from ..serializers import booking_resource
from . import bp, current_tenant
from .customers import customer_or_404
from .jsonapi import ApiError, document, load_attributes, parse_filters, relationship_ids, request_data
from .listing import paginated


class BookingInputSchema(Schema):
    """Attributes accepted when creating a booking."""

    date = fields.Date(required=True)
    service_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    status = fields.String(load_default="pending", validate=validate.OneOf(BOOKING_STATUSES))


@bp.get("/bookings")
def list_bookings() -> Response:
    filters = parse_filters(BookingFilterSchema())
    stmt = apply_booking_filters(select(Booking), filters, current_tenant().organization_id)
    return paginated(stmt, booking_resource)


@bp.post("/bookings")
def create_booking() -> Response:
    data = request_data("bookings")
    attributes = load_attributes(BookingInputSchema(), data)
    (customer_id,) = relationship_ids(data, "customer", "customers", many=False, required=True)
    # 404, as JSON:API asks for a related resource that does not exist (here: in this tenant).
    customer = customer_or_404(customer_id)
    booking = Booking(organization_id=current_tenant().organization_id, customer=customer, **attributes)
    db.session.add(booking)
    db.session.commit()
    location = url_for(".show_booking", booking_id=booking.id, o=booking.organization_id, _external=True)
    return document({"data": booking_resource(booking)}, status=201, headers={"Location": location})


@bp.get("/bookings/<booking_id>")
def show_booking(booking_id: str) -> Response:
    pk = parse_pk(booking_id)
    booking = None
    if pk is not None:
        booking = db.session.scalar(
            select(Booking).where(Booking.id == pk, Booking.organization_id == current_tenant().organization_id)
        )
    if booking is None:
        raise ApiError(404, "Not found", f"No booking {booking_id!r} in this organization.")
    return document({"data": booking_resource(booking)})
