"""flask-broadcasts: campaign reports and open/click tracking.

Revision ID: broadcasts_0011
Revises: broadcasts_0010
Create Date: 2026-12-02

Adds only: two tables (``broadcast_report_counts``, ``broadcast_tracking_events``) and two
columns on ``broadcast_campaigns`` (``track_opens``, ``track_clicks``, false: tracking stays
off for every campaign that exists). Campaigns sent before this revision have no report
counts; their runs' own counters (``broadcast_runs``) still show in the report's ``runs``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "broadcasts_0011"
down_revision = "broadcasts_0010"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the report counts and the tracking events; add the campaign's tracking switches."""
    op.create_table(
        "broadcast_report_counts",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["broadcast_campaigns.id"],
            name=op.f("fk_broadcast_report_counts_campaign_id_broadcast_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_report_counts")),
        sa.UniqueConstraint(
            "campaign_id",
            "run_key",
            "channel",
            "metric",
            "key",
            name=op.f("uq_broadcast_report_counts_campaign_id_run_key_channel_metric_key"),
        ),
    )
    op.create_table(
        "broadcast_tracking_events",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("message_id", _BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("link_index", sa.Integer(), nullable=True),
        sa.Column("machine", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["broadcast_campaigns.id"],
            name=op.f("fk_broadcast_tracking_events_campaign_id_broadcast_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["broadcast_messages.id"],
            name=op.f("fk_broadcast_tracking_events_message_id_broadcast_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_tracking_events")),
    )
    op.create_index(
        "ix_broadcast_tracking_events_message",
        "broadcast_tracking_events",
        ["message_id", "kind", "link_index"],
    )
    op.add_column(
        "broadcast_campaigns",
        sa.Column("track_opens", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "broadcast_campaigns",
        sa.Column("track_clicks", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    """Drop them (the counts and events go with them)."""
    with op.batch_alter_table("broadcast_campaigns") as batch:
        batch.drop_column("track_clicks")
        batch.drop_column("track_opens")
    op.drop_index("ix_broadcast_tracking_events_message", table_name="broadcast_tracking_events")
    op.drop_table("broadcast_tracking_events")
    op.drop_table("broadcast_report_counts")
