"""The schema shards by user id (docs/scale-out.md): no foreign key crosses from one user's rows to another's."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import chat

from companion_guard.store.metadata import all_metadata
from companion_guard.store.tables import ChatMessage, Turn

#: The column that names the user a row belongs to, where it is not ``user_id``.
USER_KEY = {"users": "id", "rights_audit_log": "subject_user"}
#: Foreign keys between two user-sharded tables, each one that joins rows of the same user only.
SAME_USER = {("messages", "turns")}


def _user_key(table: object) -> str | None:
    name = USER_KEY.get(table.name, "user_id")  # type: ignore[attr-defined]
    return name if name in table.columns else None  # type: ignore[attr-defined]


@pytest.mark.req("D3")
def test_every_foreign_key_stays_within_one_user_or_points_at_a_reference_table() -> None:
    md = all_metadata()
    sharded = {t.name for t in md.sorted_tables if _user_key(t)}
    assert {"users", "turns", "messages", "usage_clocks", "outbox", "guardian_profiles"} <= sharded
    for table in md.sorted_tables:
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target not in sharded:
                continue  # a reference table (personas, guardian accounts, incidents): replicated to every node
            assert table.name in sharded and (table.name, target) in SAME_USER, (
                f"{table.name}.{fk.parent.name} -> {target}: a foreign key between user-sharded tables that may "
                "join two users' rows; it would stop sharding by user id (docs/scale-out.md)"
            )


@pytest.mark.req("D3")
def test_same_user_foreign_keys_join_rows_of_one_user(client: TestClient) -> None:
    chat(client, "shard-a", "xiaoyu", "你好")
    chat(client, "shard-b", "sam", "hello")
    from companion_guard.store.db import session_scope

    svc = client.app.state.services  # type: ignore[attr-defined]
    with session_scope(svc.sessions) as s:
        pairs = s.execute(
            select(ChatMessage.user_id, Turn.user_id).join(Turn, Turn.id == ChatMessage.turn_id)
        ).all()
    assert pairs and all(a == b for a, b in pairs)
