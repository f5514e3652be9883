"""Who is calling: Bearer tokens and memberships, for the host's API and (as hooks) the extension's."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from .extensions import db
from .filters import parse_pk
from .models import ApiToken, Membership, User, hash_token


def new_token() -> str:
    """A fresh API token (shown once; only its hash is stored)."""
    return secrets.token_urlsafe(32)


def user_for_token(token: str) -> User | None:
    """The active user owning an unrevoked ``token``, or ``None``."""
    if not token:
        return None
    return db.session.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == hash_token(token),
            ApiToken.revoked_at.is_(None),
            User.is_active.is_(True),
        )
    )


def is_member(user: User, organization_id: str) -> bool:
    """Whether ``user`` belongs to the organization ``organization_id`` (any string, never raises)."""
    org = parse_pk(organization_id)
    if org is None or user is None:
        return False
    membership = db.session.scalar(
        select(Membership.id).where(Membership.user_id == user.id, Membership.organization_id == org)
    )
    return membership is not None


__all__ = ["is_member", "new_token", "user_for_token"]
