"""Host: customers' marketing opt-in (``customers.marketing_opt_in``).

Revision ID: host_0002
Revises: host_0001
Create Date: 2026-12-02

On the host's own branch (``example_app``). ``ADD COLUMN ... DEFAULT true NOT NULL`` is a
catalog change on PostgreSQL 11+ and SQLite. Existing customers keep receiving
broadcasts (true), as they did before the column existed; the sample seed makes some false.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "host_0002"
down_revision = "host_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "customers",
        sa.Column("marketing_opt_in", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade():
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("marketing_opt_in")
