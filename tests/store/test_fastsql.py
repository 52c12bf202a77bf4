"""Statements on the DBAPI cursor read and write exactly what SQLAlchemy's own execution does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from tests.conftest import fresh_pg_url

from companion_guard.store.db import make_engine, make_sessionmaker
from companion_guard.store.fastsql import FastStatement
from companion_guard.store.migrate import upgrade
from companion_guard.store.preload import _plan
from companion_guard.store.tables import ChatMessage, Turn, User, table_of

TURNS = table_of(Turn)
MESSAGES = table_of(ChatMessage)
NOW = datetime(2026, 12, 1, 12, 30, 1, 123456)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def session(request: pytest.FixtureRequest, tmp_path) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fast.db'}"
    else:
        found = fresh_pg_url()
        if found is None:
            pytest.skip("COMPANION_GUARD_TEST_PG_URL not set")
        url = found
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as s:
        s.add(
            User(
                id="u1",
                locale="zh-CN",
                registered=True,
                created_at=NOW,
                updated_at=NOW,
                birth_date=date(2001, 2, 3),
            )
        )
        s.commit()
        yield s
    engine.dispose()


def turn_values(turn_id: str) -> dict[str, object]:
    return {
        "id": turn_id,
        "user_id": "u1",
        "persona_id": "p",
        "created_at": NOW,
        "completed_at": None,
        "status": "decided",
        "action": "allow",
        "max_level": 2,
        "input_signals": [{"category": "user.suicide_intent", "evidence": [{"text": "想死"}]}],
        "output_signals": [],
        "rules": ["cn-2026/i1"],
        "events": [],
        "error": None,
    }


def test_writes_read_back_through_the_orm_and_commit_with_the_session(session: Session) -> None:
    FastStatement(TURNS.insert(), turn_values("t1").keys()).execute(session, turn_values("t1"))
    finish = FastStatement(
        update(TURNS).where(TURNS.c.id == bindparam("turn_id")), ("status", "completed_at")
    )
    assert finish.execute(session, {"turn_id": "t1", "status": "completed", "completed_at": NOW}) == 1
    assert finish.execute(session, {"turn_id": "nope", "status": "completed", "completed_at": NOW}) == 0
    rows = [
        {
            "turn_id": "t1",
            "user_id": "u1",
            "persona_id": "p",
            "role": r,
            "content": c,
            "original_content": None,
            "created_at": NOW,
        }
        for r, c in (("user", "你好"), ("assistant", "在呢"))
    ]
    FastStatement(MESSAGES.insert(), rows[0].keys()).executemany(session, rows)
    session.rollback()  # the cursor ran inside the session's transaction: nothing stays
    assert session.get(Turn, "t1") is None
    FastStatement(TURNS.insert(), turn_values("t2").keys()).execute(session, turn_values("t2"))
    session.commit()
    turn = session.get(Turn, "t2")
    assert (
        turn is not None
        and turn.created_at == NOW
        and turn.input_signals == turn_values("t2")["input_signals"]
    )


def test_reads_match_sqlalchemy_row_for_row(session: Session) -> None:
    """The joined per-user read (dates, datetimes, booleans, JSON, absent rows) and a LIMIT read."""
    stmt, _ = _plan()
    params = {"user_id": "u1", "persona_id": "p"}
    assert FastStatement(stmt).first(session, params) == tuple(
        session.connection().execute(stmt, params).one()
    )
    recent = (
        select(MESSAGES.c.role, MESSAGES.c.content)
        .where(MESSAGES.c.user_id == bindparam("u"))
        .limit(bindparam("n"))
    )
    assert FastStatement(recent).all(session, {"u": "u1", "n": 5}) == []
    assert FastStatement(stmt).first(session, {"user_id": "nobody", "persona_id": "p"}) is None


def test_a_statement_that_would_need_column_defaults_is_refused(session: Session) -> None:
    """Defaults are SQLAlchemy's to fill in; a fast statement must be given every column it sets."""
    with pytest.raises(ValueError, match="give every column"):
        FastStatement(TURNS.insert(), ("id", "user_id", "persona_id", "created_at", "status")).execute(
            session, turn_values("t3")
        )
