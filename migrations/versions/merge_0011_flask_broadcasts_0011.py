"""flask-broadcasts: merge its reports and tracking revision into the host's history

Revision ID: merge_0011
Revises: merge_0010, broadcasts_0011
Create Date: 2026-12-02

``flask db merge heads``, as docs/migrations.rst says for every release of the extension
that ships a revision: a plain ``flask db upgrade`` then has a single head again.
"""

# revision identifiers, used by Alembic.
revision = "merge_0011"
down_revision = ("merge_0010", "broadcasts_0011")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
