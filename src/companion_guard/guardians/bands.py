"""Age bands and their protective defaults, loaded from ``data/bands.yaml``.

The defaults are data, not code, so each figure sits beside its source. A missing
or invalid file is a start-up error (fail closed), never "use built-in numbers".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from companion_guard.exceptions import ConfigError

UNKNOWN_BAND = "unknown"


class _QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(description="Local time HH:MM at which quiet hours begin.")
    end: str = Field(description="Local time HH:MM at which quiet hours end (may be past midnight).")

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        time.fromisoformat(value)
        return value


class _Spending(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_payment: Decimal = Field(ge=0, description="Largest single top-up allowed.")
    per_month: Decimal = Field(ge=0, description="Largest sum of top-ups in a calendar month.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code of both limits.")


class _Band(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="Stable band id, used in the store and the API.")
    min_age: int | None = Field(description="Youngest age (years) in the band; null for unknown.")
    max_age: int | None = Field(description="Oldest age (years) in the band; null for unknown.")
    minor: bool = Field(description="Under 18: M1 and M3 apply.")
    elderly: bool = Field(default=False, description="60 or over: E1 applies.")
    consent_required: bool = Field(description="A guardian must consent before any turn (M2).")
    intimate_personas_allowed: bool | None = Field(
        default=None, description="Override for partner/relative personas; default is `not minor`."
    )
    daily_limit_minutes: int | None = Field(ge=1, description="Daily time limit in minor mode (M3).")
    quiet_hours: _QuietHours | None = Field(description="No service in these local hours (M3).")
    reality_reminder_minutes: int | None = Field(ge=1, description="Reality reminder interval (M3).")
    spending: _Spending | None = Field(description="Default top-up limits (M4).")


class _BandFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(description="Schema version of this file.")
    unknown_age_band: str = Field(description="Band id used when the age is not known.")
    bands: list[_Band] = Field(min_length=1, description="All bands.")


@dataclass(frozen=True, slots=True)
class SpendingLimits:
    """Top-up limits for one user (M4)."""

    per_payment: Decimal
    per_month: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A local-time window with no service; ``end`` may be on the next day."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        """Whether ``local`` falls in the window."""
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def to_dict(self) -> dict[str, str]:
        """``{"start": "22:00", "end": "06:00"}``."""
        return {"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M")}

    @classmethod
    def parse(cls, data: dict[str, str]) -> QuietHours:
        """From ``{"start": "HH:MM", "end": "HH:MM"}``."""
        return cls(time.fromisoformat(data["start"]), time.fromisoformat(data["end"]))


@dataclass(frozen=True, slots=True)
class AgeBand:
    """One band and its defaults."""

    id: str
    min_age: int | None
    max_age: int | None
    minor: bool
    elderly: bool
    consent_required: bool
    intimate_personas_allowed: bool
    daily_limit_minutes: int | None
    quiet_hours: QuietHours | None
    reality_reminder_minutes: int | None
    spending: SpendingLimits | None

    def covers(self, age: int) -> bool:
        """Whether ``age`` falls in this band."""
        return self.min_age is not None and self.max_age is not None and self.min_age <= age <= self.max_age


@dataclass(frozen=True, slots=True)
class BandTable:
    """All bands, looked up by age."""

    bands: tuple[AgeBand, ...]
    unknown: AgeBand

    def for_age(self, age: int | None) -> AgeBand:
        """The band of ``age``; the unknown band when ``age`` is ``None``."""
        if age is None:
            return self.unknown
        for band in self.bands:
            if band.covers(age):
                return band
        oldest = max(
            (b for b in self.bands if b.max_age is not None), key=lambda b: b.max_age or 0, default=None
        )
        if oldest is not None and age > (oldest.max_age or 0):
            return oldest  # older than the table reaches (a birth date read on a moved sandbox clock)
        raise ConfigError(f"no age band covers age {age}")

    def groups_for(
        self, age: int | None, *, unknown_group: str, elderly_mode: bool = False, disputed: bool = False
    ) -> frozenset[str]:
        """The policy groups (S2) of a user: the one place ages become ``child``, ``minor``, ``adult``, ``elderly``.

        Args:
            age: the age in years, ``None`` when nobody told us.
            unknown_group: the pack's group for an unknown age (``defaults.unknown_age_group``).
            elderly_mode: the user opted into elderly mode (E1) whatever their age.
            disputed: a ``user.possible_minor`` signal contradicts a declared adult age (M1 fails closed).
        """
        if age is None:
            groups = {"unknown", unknown_group}
        else:
            band = self.for_age(age)
            groups = {"minor"} if band.minor else {"adult"}
            if band.consent_required:
                groups.add("child")
            if band.elderly:
                groups.add("elderly")
        if elderly_mode:
            groups.add("elderly")
        if disputed:
            groups.add("minor")
        return frozenset(groups)

    def by_id(self, band_id: str) -> AgeBand:
        """The band named ``band_id``."""
        for band in self.bands:
            if band.id == band_id:
                return band
        raise ConfigError(f"unknown age band {band_id!r}")


def _convert(band: _Band) -> AgeBand:
    return AgeBand(
        id=band.id,
        min_age=band.min_age,
        max_age=band.max_age,
        minor=band.minor,
        elderly=band.elderly,
        consent_required=band.consent_required,
        intimate_personas_allowed=(
            band.intimate_personas_allowed if band.intimate_personas_allowed is not None else not band.minor
        ),
        daily_limit_minutes=band.daily_limit_minutes,
        quiet_hours=QuietHours.parse(band.quiet_hours.model_dump()) if band.quiet_hours else None,
        reality_reminder_minutes=band.reality_reminder_minutes,
        spending=SpendingLimits(**band.spending.model_dump()) if band.spending else None,
    )


def load_bands(path: Path | None = None) -> BandTable:
    """Load and validate a band file (the shipped one by default).

    Raises:
        ConfigError: the file is missing, unreadable, invalid, or leaves an age uncovered.
    """
    try:
        if path is None:
            text = resources.files("companion_guard.guardians").joinpath("data/bands.yaml").read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        parsed = _BandFile.model_validate(yaml.safe_load(text))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"age band file {path or 'bands.yaml'} is invalid: {exc}") from exc
    bands = tuple(_convert(b) for b in parsed.bands)
    table = BandTable(bands=bands, unknown=_find(bands, parsed.unknown_age_band))
    for age in range(121):
        if sum(1 for b in bands if b.covers(age)) != 1:
            raise ConfigError(f"age band file: age {age} must fall in exactly one band")
    return table


def _find(bands: tuple[AgeBand, ...], band_id: str) -> AgeBand:
    for band in bands:
        if band.id == band_id:
            return band
    raise ConfigError(f"age band file: unknown_age_band {band_id!r} is not a band")


@lru_cache(maxsize=1)
def default_bands() -> BandTable:
    """The shipped band table, loaded once on first use."""
    return load_bands()
