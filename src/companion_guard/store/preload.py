"""The hot path's reads: a user's per-turn rows in one statement, fresh on every replica.

A turn reads the user, the usage clock, the guardian profile, the account status
and the relationship with the persona. Loaded one by one through the ORM that was
five round trips and a large share of a turn's CPU. :func:`preload_user` reads them
with one outer-joined ``SELECT`` and places each row in the session's identity map
as if the ORM had loaded it, so the duties' ``session.get`` calls are answered
without SQL and their changes flush as usual. A row that does not exist is
remembered as absent, and :func:`get_row` answers ``None`` for it without asking
again. Nothing is cached between turns: every turn reads the database, so a change
made on another replica is seen by the next turn.

Feature tables keyed by ``user_id`` join the preload by being listed in
:data:`PER_USER_ROWS` (``module:Class``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from companion_guard.imports import load_object
from companion_guard.store.fastsql import FastStatement
from companion_guard.store.tables import PersonaRelationship, User

#: Tables with one row per user (primary key ``user_id``) that every turn reads.
PER_USER_ROWS: tuple[str, ...] = (
    "companion_guard.store.tables:UsageClock",
    "companion_guard.store.tables_guardians:GuardianProfile",
    "companion_guard.store.tables_rights:Account",
    "companion_guard.store.tables_reports:SafetyTipsShown",
)

_ABSENT = "companion_guard.absent"
#: The session's identity map holds clean objects weakly: the preloaded rows are kept alive here.
_HELD = "companion_guard.preloaded"


@lru_cache(maxsize=1)
def _fast() -> tuple[FastStatement, tuple[tuple[type[Any], tuple[str, ...], int, int], ...]]:
    """:func:`_plan`'s statement as a :class:`FastStatement` (run on the DBAPI cursor)."""
    stmt, layout = _plan()
    return FastStatement(stmt), layout


@lru_cache(maxsize=1)
def _plan() -> tuple[Select[Any], tuple[tuple[type[Any], tuple[str, ...], int, int], ...]]:
    """The statement and, per model, its column keys and where they sit in the row (built once)."""
    models: list[type[Any]] = [User, *(load_object(path) for path in PER_USER_ROWS), PersonaRelationship]
    users = User.__table__
    joined: Any = users
    columns: list[Any] = []
    layout = []
    for model in models:
        table = model.__table__
        if model is PersonaRelationship:
            joined = joined.outerjoin(
                table, and_(table.c.user_id == users.c.id, table.c.persona_id == bindparam("persona_id"))
            )
        elif model is not User:
            joined = joined.outerjoin(table, table.c.user_id == users.c.id)
        start = len(columns)
        columns.extend(table.columns)
        pk_at = start + list(table.columns).index(next(iter(table.primary_key.columns)))
        layout.append((model, tuple(c.key for c in table.columns), start, pk_at))
    stmt = select(*columns).select_from(joined).where(users.c.id == bindparam("user_id"))
    return stmt, tuple(layout)


def _attach(session: Session, model: type[Any], values: dict[str, Any]) -> Any:
    """A persistent object of ``session`` holding ``values``, as if a query had loaded it (no SQL)."""
    obj = model.__mapper__.class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def preload_user(session: Session, user_id: str, persona_id: str) -> User | None:
    """Load the user's per-turn rows with one statement; ``None`` if the user was never seen.

    Every row found becomes a persistent object of ``session``; every row missing
    is marked absent for :func:`get_row`.
    """
    stmt, layout = _fast()
    row = stmt.first(session, {"user_id": user_id, "persona_id": persona_id})
    if row is None:
        return None
    absent: set[Any] = session.info.setdefault(_ABSENT, set())
    held: list[Any] = session.info.setdefault(_HELD, [])
    user: User | None = None
    for model, keys, start, pk_at in layout:
        if row[pk_at] is None:
            absent.add(
                identity_key(model, (user_id, persona_id) if model is PersonaRelationship else user_id)
            )
            continue
        obj = _attach(session, model, dict(zip(keys, row[start : start + len(keys)], strict=True)))
        held.append(obj)
        if model is User:
            user = obj
    return user


_Row = TypeVar("_Row")


def get_row(session: Session, model: type[_Row], key: Any) -> _Row | None:
    """``session.get(model, key)``, answered without SQL for rows :func:`preload_user` saw or missed."""
    ident = identity_key(model, key)
    found = session.identity_map.get(ident)
    if isinstance(found, model):  # the identity map holds rows of this model under its keys
        return found
    absent = session.info.get(_ABSENT)
    if absent and ident in absent:
        if not session.new:
            return None
        session.flush()  # a row added in this transaction since the preload
        added = session.identity_map.get(ident)
        return added if isinstance(added, model) else None
    return session.get(model, key)
