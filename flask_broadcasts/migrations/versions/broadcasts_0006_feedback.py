"""flask-broadcasts: provider feedback (deliveries, bounces, complaints) and its counters.

Revision ID: broadcasts_0006
Revises: broadcasts_0005
Create Date: 2026-12-02

- ``broadcast_feedback_events``: one row per provider report applied to a message, unique
  per (provider, event_key) so a repeated report is recognized; the soft-bounce streak of
  an address is counted from it;
- ``delivered_count``, ``bounced_count``, ``complained_count`` on ``broadcast_campaigns``
  and ``broadcast_runs`` (subsets of ``sent_count``/``failed_count``). ``ADD COLUMN ...
  DEFAULT 0 NOT NULL`` is a catalog change on PostgreSQL 11+ and SQLite (no rewrite).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "broadcasts_0006"
down_revision = "broadcasts_0005"
branch_labels = None
depends_on = None

COUNTERS = ("delivered_count", "bounced_count", "complained_count")


def upgrade() -> None:
    """Create ``broadcast_feedback_events``; add the three counters to campaigns and runs."""
    op.create_table(
        "broadcast_feedback_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["broadcast_messages.id"],
            name=op.f("fk_broadcast_feedback_events_message_id_broadcast_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_feedback_events")),
        sa.UniqueConstraint("provider", "event_key", name=op.f("uq_broadcast_feedback_events_provider_event_key")),
    )
    op.create_index(
        "ix_broadcast_feedback_events_address", "broadcast_feedback_events", ["organization_id", "address", "id"]
    )
    op.create_index(op.f("ix_broadcast_feedback_events_message_id"), "broadcast_feedback_events", ["message_id"])
    for table in ("broadcast_campaigns", "broadcast_runs"):
        for name in COUNTERS:
            op.add_column(table, sa.Column(name, sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop them again (SQLite rebuilds the two tables for that)."""
    for table in ("broadcast_runs", "broadcast_campaigns"):
        with op.batch_alter_table(table) as batch:
            for name in COUNTERS:
                batch.drop_column(name)
    op.drop_index(op.f("ix_broadcast_feedback_events_message_id"), table_name="broadcast_feedback_events")
    op.drop_index("ix_broadcast_feedback_events_address", table_name="broadcast_feedback_events")
    op.drop_table("broadcast_feedback_events")
