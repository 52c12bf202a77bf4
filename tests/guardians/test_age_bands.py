"""Age, bands and their documented defaults (M1–M4, E1)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from companion_guard.exceptions import ConfigError, InputError
from companion_guard.guardians.age import AgeVerification, age_on, age_profile
from companion_guard.guardians.bands import default_bands, load_bands

TODAY = date(2026, 8, 1)


@pytest.mark.req("M2")
@pytest.mark.parametrize(
    ("birth", "age", "band", "consent"),
    [
        (date(2020, 8, 2), 5, "under_8", True),
        (date(2014, 8, 1), 12, "age_8_13", True),  # birthday today
        (date(2012, 8, 2), 13, "age_8_13", True),  # 14 tomorrow
        (date(2012, 8, 1), 14, "age_14_15", False),
        (date(2011, 1, 1), 15, "age_14_15", False),
        (date(2009, 1, 1), 17, "age_16_17", False),
        (date(2008, 8, 1), 18, "adult", False),
        (date(1956, 1, 1), 70, "elderly", False),
    ],
)
def test_band_from_birth_date(birth: date, age: int, band: str, consent: bool) -> None:
    profile = age_profile(today=TODAY, birth_date=birth)
    assert profile.age == age
    assert profile.band.id == band
    assert profile.needs_consent is consent
    assert profile.verification is AgeVerification.DECLARED


@pytest.mark.req("M1")
def test_minors_never_get_intimate_personas_and_adults_do() -> None:
    assert not age_profile(today=TODAY, declared_age=15).intimate_allowed
    assert age_profile(today=TODAY, declared_age=30).intimate_allowed
    assert age_profile(today=TODAY).band.id == "unknown"


@pytest.mark.req("M1")
def test_possible_minor_signal_disputes_an_adult_age() -> None:
    profile = age_profile(today=TODAY, declared_age=25, verification="disputed")
    assert not profile.minor and not profile.intimate_allowed


def test_age_on_rejects_future_birth_dates() -> None:
    assert age_on(date(2000, 2, 29), date(2001, 2, 28)) == 0
    with pytest.raises(InputError):
        age_on(date(2030, 1, 1), TODAY)
    with pytest.raises(InputError):
        age_profile(today=TODAY, declared_age=-1)


@pytest.mark.req("M3")
def test_shipped_defaults_follow_the_documented_sources() -> None:
    bands = default_bands()
    assert bands.by_id("under_8").daily_limit_minutes == 40
    assert bands.by_id("age_8_13").daily_limit_minutes == 60
    assert bands.by_id("age_16_17").daily_limit_minutes == 120
    quiet = bands.by_id("age_14_15").quiet_hours
    assert quiet is not None and quiet.to_dict() == {"start": "22:00", "end": "06:00"}
    assert bands.by_id("adult").daily_limit_minutes is None
    source = Path(__file__).parents[2] / "src/companion_guard/guardians/data/bands.yaml"
    assert "[MM2024]" in source.read_text("utf-8") and "[NPPA2019]" in source.read_text("utf-8")


_ONE_BAND = (
    "version: 1\nunknown_age_band: {unknown}\nbands:\n - {{id: a, min_age: 0, max_age: {max_age}, minor: false,"
    " consent_required: false, daily_limit_minutes: null, quiet_hours: null,"
    " reality_reminder_minutes: null, spending: null}}\n"
)


@pytest.mark.parametrize(
    "content",
    [
        "version: 1\nunknown_age_band: unknown\nbands: []\n",
        "not: [valid",
        _ONE_BAND.format(unknown="nope", max_age=150),  # the unknown band is not a band
        _ONE_BAND.format(unknown="a", max_age=10),  # ages 11+ are not covered
    ],
)
def test_bad_band_files_stop_start_up(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bands.yaml"
    path.write_text(content, "utf-8")
    with pytest.raises(ConfigError):
        load_bands(path)


def test_missing_band_file_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_bands(tmp_path / "nope.yaml")
