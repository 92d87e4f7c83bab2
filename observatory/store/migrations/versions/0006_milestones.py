"""milestones: milestone_links (evidence that a change delivered a milestone), outbox.milestones

    milestone_links   (milestone id, change id) with the matched phrases, the signs of delivery
                      and the state (auto | confirmed | rejected); the milestones themselves live
                      in the registry (YAML), so milestone_id is not a foreign key
    outbox.milestones what a digest said of milestones (due, delivered, and every milestone
                      delivered at the time), so "delivered since your last digest" is exact

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "milestone_links",
        sa.Column("milestone_id", sa.String(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("matched", sa.JSON(), nullable=False),
        sa.Column("delivery", sa.JSON(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["change_id"], ["changes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("milestone_id", "change_id"),
    )
    op.create_index("ix_milestone_links_change", "milestone_links", ["change_id"])
    # a plain ALTER TABLE ADD COLUMN on both databases (no table copy on SQLite)
    op.add_column("outbox", sa.Column("milestones", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("milestones")
    op.drop_index("ix_milestone_links_change", table_name="milestone_links")
    op.drop_table("milestone_links")
