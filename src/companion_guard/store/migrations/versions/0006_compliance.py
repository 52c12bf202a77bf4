"""compliance reports: service changes, assessment triggers, operator notices, filings, safety tips; persona kind

Revision ID: 0006_compliance
Revises: 0001_initial
Create Date: 2026-12-01 12:45:00

A1–A3 and X2 (issue 15). ``personas`` gains ``kind``: what the persona is for
(``companion``, ``customer_service``, ``qa``, ``assistant``, ``education``,
``research``), read by the scope check (S1) and the filing draft.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_compliance"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "compliance_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(24), nullable=False, index=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("version", sa.String(128), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("recorded_by", sa.String(160), nullable=False),
    )
    op.create_table(
        "compliance_assessment_due",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("trigger", sa.String(80), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "compliance_operator_notices",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("requirement", sa.String(8), nullable=False),
        sa.Column("message_zh", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("read_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "compliance_filings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("recorded_by", sa.String(160), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
    )
    op.create_table(
        "compliance_safety_tips",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("shown_at", sa.DateTime(), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
    )
    with op.batch_alter_table("personas") as batch:
        batch.add_column(sa.Column("kind", sa.String(32), nullable=False, server_default="companion"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("personas") as batch:
        batch.drop_column("kind")
    for name in (
        "compliance_safety_tips",
        "compliance_filings",
        "compliance_operator_notices",
        "compliance_assessment_due",
        "compliance_changes",
    ):
        op.drop_table(name)
