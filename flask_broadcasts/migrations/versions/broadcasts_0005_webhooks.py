"""flask-broadcasts: outbound webhooks and their delivery log.

Revision ID: broadcasts_0005
Revises: broadcasts_0004
Create Date: 2026-12-02

Two new tables (nothing existing is rewritten):

- ``broadcast_webhooks``: an organization's webhook (URL, events, active, signing secret);
- ``broadcast_webhook_deliveries``: each event (or batch of message events) for one webhook,
  with its attempts, last answer and next attempt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "broadcasts_0005"
down_revision = "broadcasts_0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``broadcast_webhooks`` and ``broadcast_webhook_deliveries``."""
    op.create_table(
        "broadcast_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("signing_secret", sa.String(length=100), nullable=False),
        sa.Column("previous_signing_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_webhooks")),
    )
    op.create_index(
        op.f("ix_broadcast_webhooks_organization_id"), "broadcast_webhooks", ["organization_id"], unique=False
    )
    op.create_table(
        "broadcast_webhook_deliveries",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["broadcast_webhooks.id"],
            name=op.f("fk_broadcast_webhook_deliveries_webhook_id_broadcast_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_webhook_deliveries")),
    )
    op.create_index(
        op.f("ix_broadcast_webhook_deliveries_webhook_id"),
        "broadcast_webhook_deliveries",
        ["webhook_id"],
        unique=False,
    )
    op.create_index(
        "ix_broadcast_webhook_deliveries_listing",
        "broadcast_webhook_deliveries",
        ["organization_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_broadcast_webhook_deliveries_next_attempt_at",
        "broadcast_webhook_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("next_attempt_at IS NOT NULL"),
        sqlite_where=sa.text("next_attempt_at IS NOT NULL"),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_broadcast_webhook_deliveries_next_attempt_at", table_name="broadcast_webhook_deliveries")
    op.drop_index("ix_broadcast_webhook_deliveries_listing", table_name="broadcast_webhook_deliveries")
    op.drop_index(op.f("ix_broadcast_webhook_deliveries_webhook_id"), table_name="broadcast_webhook_deliveries")
    op.drop_table("broadcast_webhook_deliveries")
    op.drop_index(op.f("ix_broadcast_webhooks_organization_id"), table_name="broadcast_webhooks")
    op.drop_table("broadcast_webhooks")
