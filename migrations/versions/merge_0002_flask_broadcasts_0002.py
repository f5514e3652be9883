"""flask-broadcasts 0.2: merge its new revision into the host's history

Revision ID: merge_0002
Revises: merge_0001, broadcasts_0002
Create Date: 2026-12-01

``flask db merge heads -m "flask-broadcasts 0.2"``, as docs/migrations.rst says for every
release of the extension that ships a revision: a plain ``flask db upgrade`` then has a
single head again.
"""

# revision identifiers, used by Alembic.
revision = "merge_0002"
down_revision = ("merge_0001", "broadcasts_0002")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
