"""merge host and broadcasts branches

Revision ID: merge_0001
Revises: host_0001, broadcasts_0001
Create Date: 2026-11-26 06:54:42.898308

Joins the host's branch and the extension's, so a plain ``flask db upgrade`` builds
the whole schema. When a new version of flask-broadcasts ships a revision, merge
again: ``flask db merge heads``.
"""

# revision identifiers, used by Alembic.
revision = "merge_0001"
down_revision = ("host_0001", "broadcasts_0001")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
