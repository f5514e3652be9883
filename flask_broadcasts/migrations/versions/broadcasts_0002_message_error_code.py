"""flask-broadcasts: machine-readable error codes and the template variant on messages.

Revision ID: broadcasts_0002
Revises: broadcasts_0001
Create Date: 2026-12-01

Adds two nullable columns to ``broadcast_messages`` (no rewrite of the table: existing
rows keep ``NULL``, which the API shows as no code / no variant):

- ``error_code``: why the message or one of its channels failed (``no_channel``,
  ``outcome_unknown``, ``invalid_mobile``, ``refused`` ...);
- ``template_locale``: the template variant its main text used (``locale`` is the
  recipient's own).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "broadcasts_0002"
down_revision = "broadcasts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``error_code`` and ``template_locale`` to ``broadcast_messages``."""
    # Plain ADD COLUMN (nullable, no default) on both databases: no copy of a large table.
    op.add_column("broadcast_messages", sa.Column("error_code", sa.String(length=32), nullable=True))
    op.add_column("broadcast_messages", sa.Column("template_locale", sa.String(length=35), nullable=True))


def downgrade() -> None:
    """Drop them again (SQLite rebuilds the table for that)."""
    with op.batch_alter_table("broadcast_messages") as batch:
        batch.drop_column("template_locale")
        batch.drop_column("error_code")
