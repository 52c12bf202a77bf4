"""The guardian tables: the Alembic branch matches the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from companion_guard.settings import Settings
from companion_guard.store.db import make_engine
from companion_guard.store.metadata import all_metadata
from companion_guard.store.migrate import upgrade

GUARDIAN_TABLES = {
    "guardian_profiles",
    "guardian_accounts",
    "guardian_invitations",
    "guardian_consents",
    "guardian_alerts",
    "guardian_activity",
    "wallet_authorizations",
}


def _diffs_for_our_tables(diffs: list) -> list:  # type: ignore[type-arg]
    out = []
    for diff in diffs:
        flat = diff if isinstance(diff, tuple) else diff[0]
        names = {getattr(x, "name", None) for x in flat} | {x for x in flat if isinstance(x, str)}
        table = next((getattr(x, "table", None) for x in flat if hasattr(x, "table")), None)
        if names & GUARDIAN_TABLES or (table is not None and table.name in GUARDIAN_TABLES):
            out.append(diff)
    return out


@pytest.mark.req("M2")
def test_migration_0002_matches_the_models(any_db_settings: Settings, tmp_path: Path) -> None:
    engine = make_engine(any_db_settings.resolved_db_url())
    try:
        upgrade(engine)
        assert GUARDIAN_TABLES <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            diffs = compare_metadata(ctx, all_metadata())
        assert _diffs_for_our_tables(diffs) == []
        upgrade(engine)  # idempotent at heads
    finally:
        engine.dispose()
