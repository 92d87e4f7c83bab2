"""changes: about_ai (the change passed the AI gate) and tagged_with (the taxonomy version)

``about_ai`` lets digests send a change that is about AI but under no dimension to those who
follow dimensions (it is never lost); ``tagged_with`` says which taxonomy tagged the change
("taxonomy.yaml@3f2a9c1b7d4e"), so analysts can tell and ``observatory tag --retag`` can
re-tag. Changes stored before this revision: about_ai is true when they carry a dimension and
unknown (NULL) otherwise; tagged_with is NULL until they are re-tagged.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD/DROP COLUMN (SQLite 3.35+), not a batch copy: the views of 0003 read ``changes``
    op.add_column("changes", sa.Column("about_ai", sa.Boolean(), nullable=True))
    op.add_column("changes", sa.Column("tagged_with", sa.String(), nullable=True))
    changes = sa.table(
        "changes", sa.column("id", sa.Integer()), sa.column("about_ai", sa.Boolean())
    )
    tagged = sa.table("change_dimensions", sa.column("change_id", sa.Integer()))
    op.execute(
        changes.update()
        .where(changes.c.id.in_(sa.select(tagged.c.change_id)))
        .values(about_ai=sa.true())
    )


def downgrade() -> None:
    op.drop_column("changes", "tagged_with")
    op.drop_column("changes", "about_ai")
