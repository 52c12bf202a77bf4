"""The store: SQLAlchemy tables, migrations and repositories."""

from companion_guard.store.db import make_engine, make_sessionmaker, session_scope
from companion_guard.store.migrate import upgrade

__all__ = ["make_engine", "make_sessionmaker", "session_scope", "upgrade"]
