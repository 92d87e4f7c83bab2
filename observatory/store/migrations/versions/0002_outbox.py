"""digest outbox: outbox, outbox_changes

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("subscriber", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("change_ids", sa.JSON(), nullable=False),
        sa.Column("source_status", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_state", ["state"], unique=False)
        batch_op.create_index(
            "ix_outbox_subscriber_created", ["subscriber", "created_at"], unique=False
        )
    op.create_table(
        "outbox_changes",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("subscriber", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["outbox.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["change_id"], ["changes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id", "change_id"),
    )
    with op.batch_alter_table("outbox_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ux_outbox_changes_subscriber_change", ["subscriber", "change_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_changes", schema=None) as batch_op:
        batch_op.drop_index("ux_outbox_changes_subscriber_change")
    op.drop_table("outbox_changes")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_subscriber_created")
        batch_op.drop_index("ix_outbox_state")
    op.drop_table("outbox")
