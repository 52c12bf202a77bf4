"""data rights, audit log, risk controls (D1, D3, D4, D5)

Revision ID: 0003_rights
Revises: 0001_initial
Create Date: 2026-11-29 03:40:00

The audit log is append-only in the database itself: triggers refuse UPDATE and
DELETE on ``rights_audit_log`` (SQLite and PostgreSQL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_rights"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_TS = sa.DateTime()


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "rights_user_keys",
        sa.Column("user_id", sa.String(160), primary_key=True),
        sa.Column("master_key_id", sa.String(64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("rotated_at", _TS, nullable=True),
    )
    op.create_table(
        "rights_accounts",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "rights_deletion_receipts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False, index=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("persona_id", sa.String(128), nullable=True),
        sa.Column("requested_by", sa.String(160), nullable=False),
        sa.Column("completed_at", _TS, nullable=False),
        sa.Column("rows_deleted", sa.JSON(), nullable=False),
        sa.Column("key_destroyed", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "rights_consents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("granted_at", _TS, nullable=False),
        sa.Column("granted_by", sa.String(160), nullable=False),
        sa.Column("withdrawn_at", _TS, nullable=True),
        sa.Column("withdrawn_by", sa.String(160), nullable=True),
    )
    op.create_index("ix_rights_consents_user_purpose", "rights_consents", ["user_id", "purpose", "recipient"])
    op.create_table(
        "rights_flow_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False, index=True),
        sa.Column("flow_id", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("carries_content", sa.Boolean(), nullable=False),
        sa.Column("third_party", sa.Boolean(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("basis", sa.String(64), nullable=False),
    )
    op.create_index("ix_rights_flow_log_user", "rights_flow_log", ["user_id", "at"])
    op.create_table(
        "rights_audit_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(160), nullable=False),
        sa.Column("action", sa.String(64), nullable=False, index=True),
        sa.Column("subject_user", sa.String(128), nullable=True),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_rights_audit_subject", "rights_audit_log", ["subject_user"])
    op.create_table(
        "rights_audit_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.execute("INSERT INTO rights_audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")
    op.create_table(
        "rights_complaints",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True, index=True),
        sa.Column("key_owner", sa.String(160), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("message_ref", sa.String(64), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("assignee", sa.String(160), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("first_response_at", _TS, nullable=True),
        sa.Column("answered_at", _TS, nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_rights_complaints_status", "rights_complaints", ["status", "created_at"])
    op.create_table(
        "rights_restrictions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("persona_id", sa.String(128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
        sa.Column("until", _TS, nullable=True),
        sa.Column("lifted_at", _TS, nullable=True),
        sa.Column("lifted_by", sa.String(160), nullable=True),
        sa.Column("incident_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_rights_restrictions_user", "rights_restrictions", ["user_id", "lifted_at"])
    op.create_table(
        "rights_kill_switch",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("engaged", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("message_zh", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("changed_at", _TS, nullable=False),
        sa.Column("changed_by", sa.String(160), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=True),
    )
    op.create_table(
        "rights_notices",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("persona_id", sa.String(128), nullable=True),
        sa.Column("notice_from", _TS, nullable=False),
        sa.Column("ends_at", _TS, nullable=False),
        sa.Column("message_zh", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
        sa.Column("cancelled_at", _TS, nullable=True),
    )
    op.create_table(
        "rights_incidents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", _TS, nullable=False, index=True),
        sa.Column("opened_by", sa.String(160), nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
    )
    op.create_table(
        "rights_incident_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id", sa.String(36), sa.ForeignKey("rights_incidents.id"), nullable=False, index=True
        ),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER rights_audit_no_{verb.lower()} BEFORE {verb} ON rights_audit_log "
                "BEGIN SELECT RAISE(ABORT, 'rights_audit_log is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION rights_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'rights_audit_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER rights_audit_append_only BEFORE UPDATE OR DELETE ON rights_audit_log "
            "FOR EACH ROW EXECUTE FUNCTION rights_audit_append_only()"
        )


def downgrade() -> None:
    """Revert this revision."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS rights_audit_append_only ON rights_audit_log")
        op.execute("DROP FUNCTION IF EXISTS rights_audit_append_only()")
    for name in (
        "rights_incident_events",
        "rights_incidents",
        "rights_notices",
        "rights_kill_switch",
        "rights_restrictions",
        "rights_complaints",
        "rights_audit_head",
        "rights_audit_log",
        "rights_flow_log",
        "rights_consents",
        "rights_deletion_receipts",
        "rights_accounts",
        "rights_user_keys",
    ):
        op.drop_table(name)
