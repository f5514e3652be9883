"""A tiny multi-tenant product with flask-broadcasts: the integration guide's example.

``tests/docs/test_examples.py`` builds this app and runs a template, an audience, a
campaign and its preview through it; the README's example is the ``[readme]`` parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import Blueprint, jsonify, request

# [readme-imports]
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_broadcasts import AudienceSource, Broadcasts, RecipientMixin

db, migrate = SQLAlchemy(), Migrate()
broadcasts = Broadcasts(db=db)
# Customer, User, apply_customer_filters, CustomerFilterSchema, customer_resource: your own
# models, filters and serializers (docs: "Adding the extension to your app").
# [/readme-imports]


# [models]
class User(db.Model):
    """Someone who calls the API. (A real product stores a hash of the token.)"""

    id = sa.Column(sa.Integer, primary_key=True)
    token = sa.Column(sa.String(64), unique=True, nullable=False)
    organization_id = sa.Column(sa.Integer, nullable=False)

    @classmethod
    def from_token(cls, token: str) -> User | None:
        return db.session.scalar(sa.select(cls).where(cls.token == token))

    def is_member_of(self, organization_id: str) -> bool:
        return organization_id == str(self.organization_id)


class Customer(RecipientMixin, db.Model):
    """A customer of an organization, and a broadcast recipient."""

    # Every name get_variable_bindings() returns: templates are checked against it.
    broadcast_variables = ("first_name", "last_name")

    id = sa.Column(sa.Integer, primary_key=True)
    organization_id = sa.Column(sa.Integer, nullable=False, index=True)
    first_name = sa.Column(sa.String(100), nullable=False)
    last_name = sa.Column(sa.String(100))
    email = sa.Column(sa.String(320))  # read by RecipientMixin.broadcast_email
    mobile = sa.Column(sa.String(32))  # ... broadcast_mobile (E.164)
    locale = sa.Column(sa.String(35))  # ... broadcast_locale
    status = sa.Column(sa.String(16), default="active")

    def get_variable_bindings(self) -> Mapping[str, Any]:
        return {"first_name": self.first_name, "last_name": self.last_name or ""}


# [/models]


# [filters]
class CustomerFilterSchema(ma.Schema):
    """The filters of GET /api/customers, and of ``customers`` audiences."""

    class Meta:
        unknown = ma.RAISE

    status = ma.fields.String(validate=ma.validate.OneOf(["active", "inactive"]))
    search = ma.fields.String()


def apply_customer_filters(select: sa.Select, filters: Mapping[str, Any], organization_id: str) -> sa.Select:
    """One organization's customers matching ``filters``, in a stable order."""
    if not organization_id.isdigit():
        return select.where(sa.false())
    select = select.where(Customer.organization_id == int(organization_id))
    if filters.get("status"):
        select = select.where(Customer.status == filters["status"])
    if filters.get("search"):
        select = select.where(Customer.last_name.ilike(f"%{filters['search']}%"))
    return select.order_by(Customer.id)


def customer_resource(customer: Customer) -> dict[str, Any]:
    """A ``customers`` JSON:API resource object (what ``include=customer`` shows)."""
    return {
        "type": "customers",
        "id": str(customer.id),
        "attributes": {"first_name": customer.first_name, "last_name": customer.last_name},
    }


customers_api = Blueprint("customers_api", __name__)


@customers_api.get("/api/customers")
def list_customers() -> Any:
    """The product's own endpoint, on the same filter function as the audiences."""
    user = User.from_token(request.headers.get("Authorization", "").removeprefix("Bearer "))
    organization_id = request.args.get("o", "")
    if user is None or not user.is_member_of(organization_id):
        return {"errors": [{"status": "403"}]}, 403
    filters = CustomerFilterSchema().load(
        {key[7:-1]: value for key, value in request.args.items() if key.startswith("filter[")}
    )
    customers = db.session.scalars(apply_customer_filters(sa.select(Customer), filters, organization_id))
    return jsonify({"data": [customer_resource(c) for c in customers]})


# [/filters]


# [readme-wiring]
broadcasts.token_loader(User.from_token)  # Bearer token -> principal, or None
broadcasts.organization_access(lambda user, organization_id: user.is_member_of(organization_id))
broadcasts.add_audience_source(
    AudienceSource(
        audience_type="customers",
        model=Customer,
        resource_type="customers",
        serialize=customer_resource,
        apply_filters=apply_customer_filters,
        filter_schema=CustomerFilterSchema,
    )
)  # your /customers' own


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(config or {})
    db.init_app(app)
    migrate.init_app(app, db)  # before broadcasts: it adds its migrations
    broadcasts.init_app(app)
    app.register_blueprint(customers_api)
    return app


# [/readme-wiring]
