"""Which tables hold a user's data, and what export and deletion do with each (D4).

Names are data: a table says what it is with ``info={"user_data": ...}``
(``retain`` | ``export`` | ``delete``, the default) and, when its user column is not
``user_id``, ``info={"user_key": "<column>"}``. Any table with a ``user_id`` column is
covered without being listed here, so features added later are exported and
deleted too. Columns never exported are named in :data:`HIDDEN_COLUMNS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, Table

from companion_guard.store.metadata import all_metadata

#: Tables keyed by another column than ``user_id`` that do not (yet) say so in ``info``.
KEY_COLUMNS: dict[str, str] = {"users": "id"}
#: Modes for tables that do not (yet) say so in ``info``: a guardian's consent is a record
#: about the account, not the child's data; deleting the data must not free a minor of it.
TABLE_MODES: dict[str, str] = {"guardian_consents": "export", "guardian_invitations": "export"}
#: (table, column) pairs left out of exports: text the guard refused to show the user.
HIDDEN_COLUMNS: frozenset[tuple[str, str]] = frozenset({("messages", "original_content")})
#: The purpose values in a table were sealed for (see :mod:`companion_guard.rights.data_keys`).
SEAL_PURPOSE: dict[str, str] = {"rights_complaints": "complaint"}
#: The one list of columns that hold values sealed under a user's data key (a sealed
#: string, or JSON with sealed strings inside: ``{"sealed": ...}``, signals' evidence).
#: Re-keying after a conversation is deleted re-seals exactly these; a test seals a
#: canary in each and fails on any sealed value found in a column not listed here.
SEALED_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {
        ("users", "emergency_contact"),
        ("users", "display_name"),
        ("messages", "content"),
        ("messages", "original_content"),
        ("turns", "input_signals"),
        ("turns", "output_signals"),
        ("outbox", "target"),
        ("guardian_profiles", "guardian_contact"),
        ("rights_complaints", "subject"),
        ("rights_complaints", "body"),
        ("rights_complaints", "contact"),
        ("rights_complaints", "answer"),
    }
)
#: Tables handled by their own code, never by the generic pass.
SPECIAL: frozenset[str] = frozenset({"api_keys", "rights_user_keys"})

MODES = ("delete", "export", "retain")


@dataclass(frozen=True, slots=True)
class UserTable:
    """A table with per-user rows.

    Attributes:
        table: the table.
        key: the column holding the user id.
        mode: ``delete`` (export, then delete), ``export`` (export, keep; its sealed
            text dies with the user's key) or ``retain`` (content-free records).
    """

    table: Table
    key: Column[Any]
    mode: str

    @property
    def name(self) -> str:
        """The table name."""
        return self.table.name

    @property
    def purpose(self) -> str:
        """What sealed values here were sealed for."""
        return SEAL_PURPOSE.get(self.table.name, "field")

    @property
    def sealed_columns(self) -> list[Column[Any]]:
        """The columns of this table named in :data:`SEALED_COLUMNS`."""
        return [c for c in self.table.c if (self.table.name, c.name) in SEALED_COLUMNS]


def user_tables(metadata: MetaData | None = None) -> list[UserTable]:
    """Every per-user table, in dependency order (parents first)."""
    metadata = metadata or all_metadata()
    out: list[UserTable] = []
    for table in metadata.sorted_tables:
        if table.name in SPECIAL:
            continue
        key_name = table.info.get("user_key") or KEY_COLUMNS.get(table.name) or "user_id"
        if key_name not in table.c:
            continue
        mode = table.info.get("user_data") or TABLE_MODES.get(table.name, "delete")
        if mode not in MODES:
            raise ValueError(f"table {table.name}: info user_data must be one of {MODES}, not {mode!r}")
        out.append(UserTable(table, table.c[key_name], mode))
    return out
