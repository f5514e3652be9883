"""``/api/customers``: list (with the shared filters) and create."""

from __future__ import annotations

from flask import Response, url_for
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..extensions import db
from ..filters import CustomerFilterSchema, apply_customer_filters, parse_pk
from ..models import CUSTOMER_STATUSES, Customer
from ..serializers import customer_resource
from . import bp, current_tenant
from .jsonapi import ApiError, document, load_attributes, parse_filters, request_data
from .listing import paginated

# E.164: "+" then up to 15 digits, no leading zero. The SMS channel relies on it.
E164 = r"^\+[1-9][0-9]{6,14}$"
# A BCP 47 tag as products actually store them: "fr", "fr-CA", "zh-Hant-TW".
LOCALE = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


class CustomerInputSchema(Schema):
    """Attributes accepted when creating a customer."""

    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=320))
    mobile = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(E164, error="Not an E.164 number.")
    )
    locale = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(LOCALE, error="Not a locale."))
    status = fields.String(load_default="active", validate=validate.OneOf(CUSTOMER_STATUSES))
    marketing_opt_in = fields.Boolean(load_default=True)


def customer_or_404(customer_id: str) -> Customer:
    pk = parse_pk(customer_id)
    customer = None
    if pk is not None:
        customer = db.session.scalar(
            select(Customer).where(Customer.id == pk, Customer.organization_id == current_tenant().organization_id)
        )
    if customer is None:
        raise ApiError(404, "Not found", f"No customer {customer_id!r} in this organization.")
    return customer


@bp.get("/customers")
def list_customers() -> Response:
    filters = parse_filters(CustomerFilterSchema())
    stmt = apply_customer_filters(select(Customer), filters, current_tenant().organization_id)
    return paginated(stmt, customer_resource)


@bp.post("/customers")
def create_customer() -> Response:
    attributes = load_attributes(CustomerInputSchema(), request_data("customers"))
    customer = Customer(organization_id=current_tenant().organization_id, **attributes)
    db.session.add(customer)
    db.session.commit()
    location = url_for(".show_customer", customer_id=customer.id, o=customer.organization_id, _external=True)
    return document({"data": customer_resource(customer)}, status=201, headers={"Location": location})


@bp.get("/customers/<customer_id>")
def show_customer(customer_id: str) -> Response:
    return document({"data": customer_resource(customer_or_404(customer_id))})
