"""cluster: each source's schedule in the database, host turns and a shared robots.txt cache

Revision ID: 0009
Revises: 0008

``sources.due_at`` is when the source is next due (jitter applied), ``due_anchor`` the origin of
its ``every`` grid and ``due_key`` the timing it was planned with (a changed ``every``/``cron``
re-plans it). The dispatch of ``observatory worker`` selects due rows with ``SKIP LOCKED`` and
advances ``due_at`` in the transaction that defers their poll jobs.

``host_turns``: one row per host, the cluster-wide pace (one request in flight, and
``per_host_delay`` between two requests, whatever the number of workers).
``robots_cache``: robots.txt of each origin, fetched once for all workers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy): the views of 0003 read ``sources``
    op.add_column("sources", sa.Column("due_at", WHEN, nullable=True))
    op.add_column("sources", sa.Column("due_anchor", WHEN, nullable=True))
    op.add_column("sources", sa.Column("due_key", sa.String(), nullable=True))
    op.create_index("ix_sources_due_at", "sources", ["due_at"])
    op.create_table(
        "host_turns",
        sa.Column("host", sa.String(), primary_key=True),
        sa.Column("holder", sa.String(), nullable=True),
        sa.Column("busy_until", WHEN, nullable=True),
        sa.Column("next_start_at", WHEN, nullable=True),
    )
    op.create_table(
        "robots_cache",
        sa.Column("origin", sa.String(), primary_key=True),
        sa.Column("fetched_at", WHEN, nullable=False),
        sa.Column("policy", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("robots_cache")
    op.drop_table("host_turns")
    op.drop_index("ix_sources_due_at", table_name="sources")
    for column in ("due_key", "due_anchor", "due_at"):
        op.execute(f"ALTER TABLE sources DROP COLUMN {column}")
