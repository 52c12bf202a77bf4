"""Extra user-profile fields that features own (``guardian``, ``mode``, ``minor_mode``, …).

``PUT /v1/users/{id}`` hands each extra field to its extension; ``GET`` asks each
extension for its view. Register a field here as ``name: "module:attr"``; the
attr is a :class:`ProfileField` instance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from companion_guard.imports import load_object


class ProfileField(Protocol):
    """One extra field of the user profile."""

    def apply(self, session: Session, user: Any, value: Any, now: datetime) -> None:
        """Validate and store ``value`` (raise InputError on bad input)."""
        ...

    def read(self, session: Session, user: Any, now: datetime) -> Any:
        """The field's value as ``GET /v1/users/{id}`` shows it at ``now`` (the gateway's clock)."""
        ...


#: field name → "module:attr". Features add theirs.
PROFILE_FIELDS: dict[str, str] = {
    "guardian": "companion_guard.guardians.profile:GUARDIAN_FIELD",
    "mode": "companion_guard.guardians.profile:MODE_FIELD",
    "minor_mode": "companion_guard.guardians.profile:MINOR_MODE_FIELD",
}


def profile_fields() -> dict[str, ProfileField]:
    """The registered fields, by name."""
    return {name: load_object(path) for name, path in PROFILE_FIELDS.items()}
