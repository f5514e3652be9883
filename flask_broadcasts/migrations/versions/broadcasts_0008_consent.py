"""flask-broadcasts: consent records (``broadcast_consent_events``).

Revision ID: broadcasts_0008
Revises: broadcasts_0007
Create Date: 2026-12-02

One new table, append-only: every suppression and re-subscribe adds a row, so an
organization can demonstrate consent (GDPR Art. 7(1)). Nothing is backfilled: the
suppressions stored before this revision have no record of how they came about (their
``source`` still says what added them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "broadcasts_0008"
down_revision = "broadcasts_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``broadcast_consent_events`` and its two indexes."""
    op.create_table(
        "broadcast_consent_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("ip_hmac", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_consent_events")),
    )
    op.create_index(
        "ix_broadcast_consent_events_listing",
        "broadcast_consent_events",
        ["organization_id", "created_at", "id"],
    )
    op.create_index(
        "ix_broadcast_consent_events_address",
        "broadcast_consent_events",
        ["organization_id", "address"],
    )


def downgrade() -> None:
    """Drop the table (and with it the records: they are the only copy)."""
    op.drop_index("ix_broadcast_consent_events_address", table_name="broadcast_consent_events")
    op.drop_index("ix_broadcast_consent_events_listing", table_name="broadcast_consent_events")
    op.drop_table("broadcast_consent_events")
