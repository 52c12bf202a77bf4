"""A user's age, how sure we are of it, and the band it puts them in.

The thresholds (14, 18, 60) live only in ``data/bands.yaml``; groups come from
:meth:`~companion_guard.guardians.bands.BandTable.groups_for`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from companion_guard.exceptions import InputError
from companion_guard.guardians.bands import AgeBand, BandTable, default_bands


class AgeVerification(StrEnum):
    """Where the age came from; only ``verified`` is proof."""

    UNKNOWN = "unknown"
    DECLARED = "declared"  # the user or provider said so
    VERIFIED = "verified"  # the provider checked an identity document or a guardian confirmed it
    DISPUTED = "disputed"  # a `user.possible_minor` signal contradicts the declared adult age


def years_since_birth(birth_date: date, today: date) -> int:
    """Whole years between ``birth_date`` and ``today``."""
    if birth_date > today:
        raise InputError("birth_date is in the future")
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


@dataclass(frozen=True, slots=True)
class AgeProfile:
    """The age we work with for one user, and its band."""

    age: int | None
    verification: AgeVerification
    band: AgeBand

    @property
    def minor(self) -> bool:
        """Under 18 (M1, M3)."""
        return self.band.minor

    @property
    def needs_consent(self) -> bool:
        """Under 14: no turn without guardian consent (M2)."""
        return self.band.consent_required

    @property
    def intimate_allowed(self) -> bool:
        """Partner/relative personas allowed (M1); a disputed adult age is not enough."""
        if self.verification is AgeVerification.DISPUTED:
            return False
        return self.band.intimate_personas_allowed

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API."""
        return {"age": self.age, "band": self.band.id, "verification": self.verification.value}


def age_profile(
    *,
    today: date,
    birth_date: date | None = None,
    declared_age: int | None = None,
    verification: AgeVerification | str | None = None,
    bands: BandTable | None = None,
) -> AgeProfile:
    """Work out the age and band from a birth date (preferred) or a declared age.

    Args:
        today: the user's local date (from the injected clock).
        birth_date: the date of birth, when given.
        declared_age: an age in years, when no birth date is given.
        verification: how the age was obtained; defaults to ``declared`` when an age is known.
        bands: the band table; the shipped one by default.
    """
    table = bands or default_bands()
    if declared_age is not None and not 0 <= declared_age <= 150:
        raise InputError("age must be between 0 and 150")
    age = years_since_birth(birth_date, today) if birth_date is not None else declared_age
    if verification is None:
        status = AgeVerification.UNKNOWN if age is None else AgeVerification.DECLARED
    else:
        status = AgeVerification(verification)
    return AgeProfile(age=age, verification=status, band=table.for_age(age))
