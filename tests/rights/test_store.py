"""The rights tables on SQLite and PostgreSQL: migration matches the models, the audit log
refuses edits in the database itself, and export/delete/verify work on both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from tests.rights.conftest import USER, Gateway, start_gateway, turn

from companion_guard.settings import Settings
from companion_guard.store.db import make_engine
from companion_guard.store.metadata import all_metadata
from companion_guard.store.migrate import upgrade


def _rights_diffs(diffs: list) -> list:  # type: ignore[type-arg]
    out = []
    for diff in diffs:
        flat = diff if isinstance(diff, tuple) else diff[0]
        names = {getattr(x, "name", None) for x in flat} | {x for x in flat if isinstance(x, str)}
        table = next((getattr(x, "table", None) for x in flat if hasattr(x, "table")), None)
        if any(str(n).startswith("rights_") for n in names if n) or (
            table is not None and table.name.startswith("rights_")
        ):
            out.append(diff)
    return out


@pytest.mark.req("D1", "D3")
def test_migration_0003_matches_the_models_and_guards_the_log(any_db_settings: Settings) -> None:
    engine = make_engine(any_db_settings.resolved_db_url())
    try:
        upgrade(engine)
        names = set(inspect(engine).get_table_names())
        assert {t for t in all_metadata().tables if t.startswith("rights_")} <= names
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            assert _rights_diffs(compare_metadata(ctx, all_metadata())) == []
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO rights_audit_log (seq, at, actor_role, actor_id, action, target, reason, details, "
                    "prev_hash, hash) VALUES (1, CURRENT_TIMESTAMP, 'system', 't', 'x', '', '', '{}', 'a', 'b')"
                )
            )
        for statement in ("UPDATE rights_audit_log SET reason = 'edited'", "DELETE FROM rights_audit_log"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def any_gw(any_db_settings: Settings) -> Iterator[Gateway]:
    yield from start_gateway(any_db_settings)


@pytest.mark.req("D1", "D4")
def test_export_delete_verify_on_each_database(any_gw: Gateway) -> None:
    gw = any_gw
    gw.client.put(
        f"/v1/users/{USER}",
        headers=gw.h("provider"),
        json={
            "age": 30,
            "emergency_contact": {"name": "姐姐", "phone": "13700000000", "email": "jj@example.org"},
        },
    )
    turn(gw, USER, "第一条消息")
    turn(gw, USER, "second one", persona="laoshi")
    data = gw.client.get(f"/v1/users/{USER}/export", headers=gw.h("user")).json()
    assert [m["content"] for m in data["messages"] if m["role"] == "user"] == ["第一条消息", "second one"]
    assert data["profile"]["emergency_contact"]["phone"] == "13700000000"
    assert gw.client.delete(f"/v1/users/{USER}/conversations/laoshi", headers=gw.h("user")).status_code == 200
    data = gw.client.get(f"/v1/users/{USER}/export", headers=gw.h("user")).json()
    assert [m["content"] for m in data["messages"] if m["role"] == "user"] == ["第一条消息"]
    assert gw.client.delete(f"/v1/users/{USER}/data", headers=gw.h("user")).status_code == 200
    data = gw.client.get(f"/v1/users/{USER}/export", headers=gw.h("user")).json()
    assert data["messages"] == [] and data["profile"] is None
    report = gw.client.get("/v1/audit/verify", headers=gw.h("auditor")).json()
    assert report["ok"] and report["entries"] == 5
