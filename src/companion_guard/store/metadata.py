"""All tables of all features on one ``MetaData``, for Alembic and tests.

Feature table modules are listed here once; importing them registers their
tables on :class:`companion_guard.store.tables.Base`.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

#: Modules that define tables, in dependency order.
TABLE_MODULES = (
    "companion_guard.store.tables",
    "companion_guard.store.tables_guardians",
    "companion_guard.store.tables_rights",
    "companion_guard.store.tables_reports",
)


def all_metadata() -> MetaData:
    """Import every table module and return the shared metadata."""
    from companion_guard.store.tables import Base

    for name in TABLE_MODULES:
        importlib.import_module(name)
    return Base.metadata
