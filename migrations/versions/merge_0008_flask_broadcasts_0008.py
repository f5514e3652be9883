"""flask-broadcasts: merge its consent-records revision (and the host's opt-in) into the host's history

Revision ID: merge_0008
Revises: merge_0007, broadcasts_0008, host_0002
Create Date: 2026-12-02

``flask db merge heads``, as docs/migrations.rst says for every release of the extension
that ships a revision: a plain ``flask db upgrade`` then has a single head again. The
host's own ``host_0002`` (its customers' ``marketing_opt_in``) is joined in the same merge.
"""

# revision identifiers, used by Alembic.
revision = "merge_0008"
down_revision = ("merge_0007", "broadcasts_0008", "host_0002")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
