"""``/api/communities``: list and create (with members)."""

from __future__ import annotations

from flask import Response, url_for
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..filters import parse_pk
from ..models import Community, Customer
from ..serializers import community_resource
from ..sources import get_community
from . import bp, current_tenant
from .jsonapi import ApiError, document, load_attributes, relationship_ids, request_data
from .listing import paginated


class CommunityInputSchema(Schema):
    """Attributes accepted when creating a community."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


@bp.get("/communities")
def list_communities() -> Response:
    stmt = (
        select(Community)
        .where(Community.organization_id == current_tenant().organization_id)
        .options(selectinload(Community.members))
        .order_by(Community.id)
    )
    return paginated(stmt, community_resource)


@bp.post("/communities")
def create_community() -> Response:
    data = request_data("communities")
    attributes = load_attributes(CommunityInputSchema(), data)
    organization_id = current_tenant().organization_id
    wanted = list(dict.fromkeys(relationship_ids(data, "members", "customers", many=True, required=False)))
    members = []
    if wanted:
        numeric = [pk for pk in map(parse_pk, wanted) if pk is not None]
        members = db.session.scalars(
            select(Customer).where(Customer.organization_id == organization_id, Customer.id.in_(numeric))
        ).all()
        missing = sorted(set(wanted) - {str(member.id) for member in members})
        if missing:
            raise ApiError(
                404,
                "Not found",
                f"No customers {', '.join(missing)} in this organization.",
                pointer="/data/relationships/members/data",
            )
    community = Community(organization_id=organization_id, members=list(members), **attributes)
    db.session.add(community)
    db.session.commit()
    location = url_for(".show_community", community_id=community.id, o=organization_id, _external=True)
    return document({"data": community_resource(community)}, status=201, headers={"Location": location})


@bp.get("/communities/<community_id>")
def show_community(community_id: str) -> Response:
    community = get_community(community_id, str(current_tenant().organization_id))
    if community is None:
        raise ApiError(404, "Not found", f"No community {community_id!r} in this organization.")
    return document({"data": community_resource(community)})
