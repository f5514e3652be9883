"""JSON:API resource objects of the host's models, for its own API and for the extension's ``include``."""

from __future__ import annotations

from typing import Any

from .models import Booking, Community, Customer


def identifier(resource_type: str, id_: int) -> dict[str, str]:
    return {"type": resource_type, "id": str(id_)}


def customer_resource(customer: Customer) -> dict[str, Any]:
    """A ``customers`` resource object."""
    return {
        "type": "customers",
        "id": str(customer.id),
        "attributes": {
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
            "mobile": customer.mobile,
            "locale": customer.locale,
            "status": customer.status,
            "marketing_opt_in": customer.marketing_opt_in,
        },
    }


def booking_resource(booking: Booking) -> dict[str, Any]:
    """A ``bookings`` resource object; its customer as a relationship (no extra query)."""
    return {
        "type": "bookings",
        "id": str(booking.id),
        "attributes": {
            "status": booking.status,
            "date": booking.date.isoformat(),
            "service_name": booking.service_name,
        },
        "relationships": {"customer": {"data": identifier("customers", booking.customer_id)}},
    }


def community_resource(community: Community) -> dict[str, Any]:
    """A ``communities`` resource object with its members as a to-many relationship."""
    return {
        "type": "communities",
        "id": str(community.id),
        "attributes": {"name": community.name},
        "relationships": {
            "members": {"data": [identifier("customers", member.id) for member in community.members]},
        },
    }


__all__ = ["booking_resource", "community_resource", "customer_resource"]
