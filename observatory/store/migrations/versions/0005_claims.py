"""claims: one poller per source and one sender per digest message, across processes

Revision ID: 0005
Revises: 0004

``sources.claimed_by``/``claimed_until`` and ``outbox.claimed_by``/``claimed_until``: a process
writes its name and an expiry before it polls a source or sends a message, with a compare-and-set
that fails while another live claim holds; a claim left by a process that died expires.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("sources", "outbox")


# Plain ADD/DROP COLUMN (SQLite 3.35 and later have both): a batch copy of ``sources`` would
# break the views of migration 0003 that read it.


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("claimed_by", sa.String(), nullable=True))
        op.add_column(table, sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        for column in ("claimed_until", "claimed_by"):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
