"""guardian accounts sealed at rest: wider contact columns, an e-mail digest

Revision ID: 0007_guardian_sealed
Revises: 0002_guardians
Create Date: 2026-12-01 16:00:00

D3 (issue 16, item 5). ``guardian_accounts.name``, ``email`` and ``webhook`` now hold
sealed values (``cg1:`` + base64 of nonce, ciphertext and tag: about 4/3 of the text
plus 40 characters), so they become ``TEXT``; ``email_digest`` is the keyed hash of the
address that lookups by e-mail use.

This migration does not seal existing rows: it runs without the master key (and may
run from ``companion-guard db upgrade`` with no key configured at all). The gateway
seals plain rows at start-up, once, with
:func:`companion_guard.guardians.accounts.seal_plain_accounts`; a sealed value is
recognisable by its prefix, so the pass is idempotent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_guardian_sealed"
down_revision = "0002_guardians"
branch_labels = None
depends_on = None

_WIDENED = {"name": sa.String(200), "email": sa.String(320), "webhook": sa.String(2000)}


def upgrade() -> None:
    """Widen the contact columns (SQLite does not enforce lengths) and add the digest."""
    op.add_column("guardian_accounts", sa.Column("email_digest", sa.String(64), nullable=True))
    op.create_index("ix_guardian_accounts_email_digest", "guardian_accounts", ["email_digest"])
    if op.get_bind().dialect.name != "sqlite":
        for column, old in _WIDENED.items():
            op.alter_column("guardian_accounts", column, type_=sa.Text(), existing_type=old)


def downgrade() -> None:
    """Drop the digest; the columns narrow again only where the values still fit (plain ones)."""
    op.drop_index("ix_guardian_accounts_email_digest", table_name="guardian_accounts")
    with op.batch_alter_table("guardian_accounts") as batch:
        batch.drop_column("email_digest")
    if op.get_bind().dialect.name != "sqlite":
        for column, old in _WIDENED.items():
            op.alter_column("guardian_accounts", column, type_=old, existing_type=sa.Text())
