"""flask-broadcasts: tries per message, deferred messages, and test sends.

Revision ID: broadcasts_0003
Revises: broadcasts_0002
Create Date: 2026-12-02

Adds to ``broadcast_messages`` (no rewrite of the table: a constant default is only
recorded in the catalog on PostgreSQL 11+, and SQLite's ADD COLUMN never copies rows):

- ``tries``: how many times a channel answered about the message (accepted, refused,
  deferred); a provider that was down costs no try. ``attempts`` keeps counting claims.
- ``retry_at``: when a message deferred by a temporary answer (SMTP 4xx to RCPT or DATA)
  may be claimed again; ``NULL`` means at once.

And the table ``broadcast_test_sends``: one row per test send of a campaign, with the
addresses it went to and what each got.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "broadcasts_0003"
down_revision = "broadcasts_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``tries`` and ``retry_at`` to ``broadcast_messages``; create ``broadcast_test_sends``."""
    op.add_column("broadcast_messages", sa.Column("tries", sa.Integer(), server_default="0", nullable=False))
    op.add_column("broadcast_messages", sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "broadcast_test_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("recipient_type", sa.String(length=32), nullable=True),
        sa.Column("recipient_id", sa.String(length=64), nullable=True),
        sa.Column("to", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["broadcast_campaigns.id"],
            name=op.f("fk_broadcast_test_sends_campaign_id_broadcast_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_test_sends")),
    )
    # The hourly limit counts an organization's test sends since an hour ago.
    op.create_index(
        "ix_broadcast_test_sends_organization_id_created_at",
        "broadcast_test_sends",
        ["organization_id", "created_at"],
    )
    op.create_index(op.f("ix_broadcast_test_sends_campaign_id"), "broadcast_test_sends", ["campaign_id"])


def downgrade() -> None:
    """Drop them again (SQLite rebuilds ``broadcast_messages`` for that)."""
    op.drop_index(op.f("ix_broadcast_test_sends_campaign_id"), table_name="broadcast_test_sends")
    op.drop_index("ix_broadcast_test_sends_organization_id_created_at", table_name="broadcast_test_sends")
    op.drop_table("broadcast_test_sends")
    with op.batch_alter_table("broadcast_messages") as batch:
        batch.drop_column("retry_at")
        batch.drop_column("tries")
