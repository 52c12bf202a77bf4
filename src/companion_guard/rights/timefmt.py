"""Stored times are naive UTC (SQLite hands them back naive); these helpers convert once."""

from __future__ import annotations

from datetime import UTC, datetime


def naive(at: datetime) -> datetime:
    """UTC without the zone, as the tables store it."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def aware(at: datetime) -> datetime:
    """A stored time as timezone-aware UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def iso(at: datetime | None) -> str | None:
    """ISO-8601 UTC text (``…Z``) of a time, or None."""
    return None if at is None else naive(at).isoformat() + "Z"
