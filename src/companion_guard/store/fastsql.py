"""The hot path's statements, compiled once per dialect and run straight on the DBAPI cursor.

Why: for a one-row insert on SQLite, SQLAlchemy's per-execution work (cache key,
execution context, parameter setup, result wrapper) costs about three times what
SQLite itself spends. A :class:`FastStatement` is an ordinary Core statement that
SQLAlchemy compiles once per dialect; each execution then only converts the
parameters with the same bind processors SQLAlchemy would use (datetimes on SQLite,
JSON) and calls the cursor of the session's own connection, so it runs inside the
session's transaction and commits or rolls back with it. Results are converted
with the columns' own result processors.

Only statements whose every parameter the caller gives are accepted (no column
defaults are filled in here); engine events do not see these statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

_Proc = Callable[[Any], Any] | None


class _Plan:
    __slots__ = ("binds", "constants", "positional", "results", "sql")

    def __init__(
        self,
        sql: str,
        positional: bool,
        binds: tuple[tuple[str, _Proc], ...],
        results: tuple[_Proc, ...] | None,
        constants: dict[str, Any],
    ) -> None:
        self.sql, self.positional, self.binds, self.results = sql, positional, binds, results
        #: Values the statement itself holds (a literal the compiler made a parameter, e.g. SQLite's ``OFFSET 0``).
        self.constants = constants

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        merged = {**self.constants, **values} if self.constants else values
        if self.positional:
            return tuple(merged[k] if p is None else p(merged[k]) for k, p in self.binds)
        return {k: merged[k] if p is None else p(merged[k]) for k, p in self.binds}


class FastStatement:
    """A Core statement run on the DBAPI cursor of a session's connection (see the module docstring).

    Args:
        stmt: the statement; for an INSERT or UPDATE without ``.values()``, ``keys``
            names the columns set, and every execution must give each of them.
        keys: the column keys an INSERT or UPDATE sets.
    """

    def __init__(self, stmt: ClauseElement, keys: Iterable[str] = ()) -> None:
        self.stmt = stmt
        self.keys = tuple(keys)
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        found = self._plans.get(dialect.name)
        if found is not None:
            return found
        compiled: Any = self.stmt.compile(dialect=dialect, column_keys=list(self.keys) or None)
        names = list(compiled.positiontup) if compiled.positional else list(compiled.bind_names.values())
        defaults = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if defaults or set(self.keys) - set(names):
            raise ValueError(f"{self.stmt}: give every column it sets (missing {defaults or self.keys})")
        processors = compiled._bind_processors
        binds = tuple((n, processors.get(n)) for n in names)
        constants = {
            n: compiled.binds[n].effective_value
            for n in names
            if n not in self.keys and n in compiled.binds and not compiled.binds[n].required
        }
        found = self._plans[dialect.name] = _Plan(
            compiled.string, bool(compiled.positional), binds, None, constants
        )
        return found

    def _results(self, plan: _Plan, dialect: Dialect, description: Sequence[Any]) -> tuple[_Proc, ...]:
        """The columns' result processors, given the driver's column types (as SQLAlchemy does)."""
        if plan.results is None:
            columns = list(getattr(self.stmt, "selected_columns", ()))
            plan.results = tuple(
                c.type._cached_result_processor(dialect, d[1])
                for c, d in zip(columns, description, strict=True)
            )
        return plan.results

    @staticmethod
    def _cursor(session: Session) -> tuple[Any, Dialect]:
        conn = session.connection()  # begins the session's transaction if it has not begun
        dbapi = conn.connection.dbapi_connection
        if dbapi is None:  # pragma: no cover - a connection just checked out is open
            raise RuntimeError("the session's database connection is closed")
        return dbapi.cursor(), conn.dialect

    def execute(self, session: Session, values: Mapping[str, Any]) -> int:
        """Run once; the number of rows an INSERT, UPDATE or DELETE touched."""
        cur, dialect = self._cursor(session)
        try:
            plan = self._plan(dialect)
            cur.execute(plan.sql, plan.params(values))
            return int(cur.rowcount)
        finally:
            cur.close()

    def executemany(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run once per row of ``rows`` (one ``executemany``)."""
        if not rows:
            return
        cur, dialect = self._cursor(session)
        try:
            plan = self._plan(dialect)
            cur.executemany(plan.sql, [plan.params(r) for r in rows])
        finally:
            cur.close()

    def all(self, session: Session, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of a SELECT, converted by its columns' result processors."""
        cur, dialect = self._cursor(session)
        try:
            plan = self._plan(dialect)
            cur.execute(plan.sql, plan.params(values))
            rows = cur.fetchall()
            procs = self._results(plan, dialect, cur.description)
        finally:
            cur.close()
        if not any(procs):
            return [tuple(r) for r in rows]
        return [
            tuple(v if p is None or v is None else p(v) for p, v in zip(procs, r, strict=True)) for r in rows
        ]

    def first(self, session: Session, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of a SELECT, or ``None``."""
        rows = self.all(session, values)
        return rows[0] if rows else None
