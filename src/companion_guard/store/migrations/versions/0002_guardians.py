"""Guardians, consent, minor/elderly state, wallet (M1–M4, E1, I3).

Revision ID: 0002_guardians
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_guardians"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the guardian tables."""
    op.create_table(
        "guardian_profiles",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("age_verification", sa.String(16), nullable=False, server_default="unknown"),
        sa.Column("mode", sa.String(16), nullable=True),
        sa.Column("minor_mode", sa.JSON(), nullable=True),
        sa.Column("guardian_contact", sa.JSON(), nullable=True),
        sa.Column("persona_blocklist", sa.JSON(), nullable=True),
        sa.Column("spending_cap", sa.JSON(), nullable=True),
        sa.Column("possible_minor_at", _TS, nullable=True),
        sa.Column("elderly_onboarded_at", _TS, nullable=True),
        sa.Column("last_reality_reminder_at", _TS, nullable=True),
        sa.Column("last_dependency_reminder_at", _TS, nullable=True),
        sa.Column("dependency_notified_level", sa.String(16), nullable=True),
        sa.Column("dependency_score", sa.Float(), nullable=True),
        sa.Column("dependency_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=True),
    )
    op.create_table(
        "guardian_accounts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("webhook", sa.String(2000), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "guardian_invitations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS, nullable=True),
        sa.Column(
            "guardian_id",
            sa.String(32),
            sa.ForeignKey("guardian_accounts.id", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    op.create_index("ix_guardian_invitations_user_id", "guardian_invitations", ["user_id"])
    op.create_index("ix_guardian_invitations_code_hash", "guardian_invitations", ["code_hash"], unique=True)
    op.create_table(
        "guardian_consents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column(
            "guardian_id",
            sa.String(32),
            sa.ForeignKey("guardian_accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("granted_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
    )
    op.create_index("ix_guardian_consents_user_id", "guardian_consents", ["user_id"])
    op.create_table(
        "guardian_alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("requirement", sa.String(8), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
    )
    op.create_index("ix_guardian_alerts_user_id", "guardian_alerts", ["user_id"])
    op.create_index("ix_guardian_alerts_created_at", "guardian_alerts", ["created_at"])
    op.create_table(
        "guardian_activity",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("persona_id", sa.String(128), nullable=False),
        sa.Column("served", sa.Boolean(), nullable=False),
        sa.Column("dependency_hit", sa.Boolean(), nullable=False),
        sa.Column("event_kinds", sa.JSON(), nullable=True),
    )
    op.create_index("ix_guardian_activity_user_id", "guardian_activity", ["user_id"])
    op.create_index("ix_guardian_activity_at", "guardian_activity", ["at"])
    op.create_table(
        "wallet_authorizations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_wallet_authorizations_user_id", "wallet_authorizations", ["user_id"])


def downgrade() -> None:
    """Drop the guardian tables."""
    for table in (
        "wallet_authorizations",
        "guardian_activity",
        "guardian_alerts",
        "guardian_consents",
        "guardian_invitations",
        "guardian_accounts",
        "guardian_profiles",
    ):
        op.drop_table(table)
