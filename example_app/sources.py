"""Registration of the host's side of the broadcasts contract: audiences and auth hooks.

The audience sources reuse :mod:`example_app.filters` and :mod:`example_app.serializers`
as they are, so a broadcast audience and the host's list endpoint cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy import Select, false, select
from sqlalchemy.orm import selectinload

from flask_broadcasts import AudienceSource, Broadcasts, CommunitySource

from .auth import is_member, user_for_token
from .extensions import db
from .filters import BookingFilterSchema, CustomerFilterSchema, apply_booking_filters, apply_customer_filters, parse_pk
from .models import Booking, Community, Customer, Organization, community_members
from .serializers import booking_resource, community_resource, customer_resource

customers_source = AudienceSource(
    audience_type="customers",
    model=Customer,
    resource_type="customers",
    apply_filters=apply_customer_filters,
    filter_schema=CustomerFilterSchema,
    serialize=customer_resource,
    # The customers' own opt-in, in SQL: the preview counts it in its one COUNT.
    consent_criterion=lambda channel: Customer.marketing_opt_in.is_(True),
)

bookings_source = AudienceSource(
    audience_type="bookings",
    model=Booking,
    resource_type="bookings",
    apply_filters=apply_booking_filters,
    filter_schema=BookingFilterSchema,
    serialize=booking_resource,
    # A booking's variables and contact details come from its customer.
    load_options=(selectinload(Booking.customer),),
    # A booking reaches its customer: their opt-in (EXISTS, one row per booking still).
    consent_criterion=lambda channel: Booking.customer.has(Customer.marketing_opt_in.is_(True)),
)


def get_community(community_id: str, organization_id: str) -> Community | None:
    """The community ``community_id`` of the organization, or ``None`` (also for malformed ids)."""
    pk, org = parse_pk(community_id), parse_pk(organization_id)
    if pk is None or org is None:
        return None
    return db.session.scalar(select(Community).where(Community.id == pk, Community.organization_id == org))


def community_members_query(stmt: Select, community_id: str, organization_id: str) -> Select:
    """``stmt`` (a ``select(Customer)``) restricted to the community's members, ordered by id."""
    pk = parse_pk(community_id)
    if pk is None:
        return stmt.where(false())
    member_ids = select(community_members.c.customer_id).where(community_members.c.community_id == pk)
    # The organization filter also guards against a community id of another tenant.
    return apply_customer_filters(stmt, {}, organization_id).where(Customer.id.in_(member_ids))


communities_source = CommunitySource(
    model=Community,
    get=get_community,  # (community_id, organization_id) -> Community | None
    members=community_members_query,  # (select(Customer), community_id, organization_id) -> Select
    serialize=community_resource,  # include=community
)  # member_source="customers", resource_type="communities"


def organization_name(organization_id: str) -> str | None:
    """The name recipients know an organization by (the unsubscribe page shows it)."""
    pk = parse_pk(organization_id)
    organization = db.session.get(Organization, pk) if pk is not None else None
    return organization.name if organization is not None else None


def register(broadcasts: Broadcasts) -> None:
    """Give ``broadcasts`` the host's audiences and auth hooks (idempotent)."""
    broadcasts.add_audience_source(customers_source)
    broadcasts.add_audience_source(bookings_source)
    broadcasts.set_community_source(communities_source)
    broadcasts.token_loader(user_for_token)
    broadcasts.organization_access(is_member)
    broadcasts.organization_name(organization_name)


__all__ = [
    "bookings_source",
    "communities_source",
    "community_members_query",
    "customers_source",
    "get_community",
    "register",
]
