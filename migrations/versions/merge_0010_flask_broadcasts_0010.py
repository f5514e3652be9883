"""flask-broadcasts: merge its run-contents revision into the host's history

Revision ID: merge_0010
Revises: merge_0009, broadcasts_0010
Create Date: 2026-12-02

``flask db merge heads``, as docs/migrations.rst says for every release of the extension
that ships a revision: a plain ``flask db upgrade`` then has a single head again.
"""

# revision identifiers, used by Alembic.
revision = "merge_0010"
down_revision = ("merge_0009", "broadcasts_0010")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
