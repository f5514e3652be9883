"""flask-broadcasts 0.2: merge its suppression-list revision into the host's history

Revision ID: merge_0004
Revises: merge_0003, broadcasts_0004
Create Date: 2026-12-02

``flask db merge heads -m "flask-broadcasts suppressions"``, as docs/migrations.rst says
for every release of the extension that ships a revision.
"""

# revision identifiers, used by Alembic.
revision = "merge_0004"
down_revision = ("merge_0003", "broadcasts_0004")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
