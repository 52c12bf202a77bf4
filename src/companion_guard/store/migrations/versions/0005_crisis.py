"""crisis cases a person can act on; the user's registered name (I2)

Revision ID: 0005_crisis
Revises: 0001_initial
Create Date: 2026-12-01 10:00:00

``review_cases`` gains who was notified and when, a close reason and a log of what
people did; ``users`` gains the name the user registered (sealed), so a guardian or
emergency contact is told who needs them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_crisis"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("review_cases") as batch:
        batch.add_column(sa.Column("notified", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("close_reason", sa.String(64), nullable=True))
        batch.add_column(sa.Column("log", sa.JSON(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("display_name", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("display_name")
    with op.batch_alter_table("review_cases") as batch:
        batch.drop_column("log")
        batch.drop_column("close_reason")
        batch.drop_column("notified")
