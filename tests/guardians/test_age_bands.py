"""Age, bands, their defaults and the policy groups they give (M1–M4, E1, S2)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from companion_guard.detectors.base import DetectionContext
from companion_guard.detectors.builtin.minors import PossibleMinorDetector, user_is_minor
from companion_guard.detectors.normalize import normalize
from companion_guard.detectors.reply_assessment import age_group
from companion_guard.exceptions import ConfigError, InputError
from companion_guard.guardians import bands as bands_module
from companion_guard.guardians import elderly
from companion_guard.guardians.age import AgeVerification, age_profile, years_since_birth
from companion_guard.guardians.bands import default_bands, load_bands
from companion_guard.guardians.minor_mode import MinorUsage, effective, evaluate
from companion_guard.pipeline import user_groups
from companion_guard.policy.loader import load_pack
from companion_guard.types import Direction

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


def test_years_since_birth_rejects_future_birth_dates() -> None:
    assert years_since_birth(date(2000, 2, 29), date(2001, 2, 28)) == 0
    with pytest.raises(InputError):
        years_since_birth(date(2030, 1, 1), TODAY)
    with pytest.raises(InputError):
        age_profile(today=TODAY, declared_age=-1)


@pytest.mark.req("M3")
@pytest.mark.parametrize(
    ("age", "minutes_allowed", "minutes_refused"),
    [(7, 39.9, 40), (10, 59.9, 60), (15, 59.9, 60), (16, 119.9, 120)],  # [MM2024] by age
)
def test_minor_mode_daily_limit_follows_the_age(
    age: int, minutes_allowed: float, minutes_refused: float
) -> None:
    mode = effective(age_profile(today=TODAY, declared_age=age), None, "zh-CN")
    afternoon = datetime(2026, 8, 1, 7, tzinfo=UTC)  # 15:00 in Beijing
    assert evaluate(mode, MinorUsage(minutes_today=minutes_allowed), afternoon, "zh-CN").allowed
    refused = evaluate(mode, MinorUsage(minutes_today=minutes_refused), afternoon, "zh-CN")
    assert not refused.allowed and refused.events[0].kind == "limit.daily_time"
    night = evaluate(mode, MinorUsage(), datetime(2026, 8, 1, 14, 30, tzinfo=UTC), "zh-CN")  # 22:30
    assert not night.allowed and night.events[0].kind == "limit.quiet_hours"


@pytest.mark.req("M3")
def test_adults_have_no_limit_or_quiet_hours() -> None:
    mode = effective(age_profile(today=TODAY, declared_age=18), None, "zh-CN")
    late = datetime(2026, 8, 1, 15, tzinfo=UTC)  # 23:00 in Beijing
    assert evaluate(mode, MinorUsage(minutes_today=600), late, "zh-CN").allowed


# ---- policy groups (S2): one source for the pipeline, the guardians and the detectors -----


@pytest.mark.req("M1", "M2", "E1")
@pytest.mark.parametrize(
    ("age", "groups"),
    [
        (5, {"child", "minor"}),
        (13, {"child", "minor"}),
        (14, {"minor"}),
        (17, {"minor"}),
        (18, {"adult"}),
        (59, {"adult"}),
        (60, {"adult", "elderly"}),
        (None, {"unknown", "minor"}),  # cn-2026 serves an unknown age as a minor of 14–17
    ],
)
def test_groups_by_age(age: int | None, groups: set[str]) -> None:
    assert default_bands().groups_for(age, unknown_group="minor") == groups
    assert user_groups(age, load_pack("cn-2026")) == groups


@pytest.mark.req("M1", "E1")
def test_elderly_mode_and_a_disputed_age_add_their_groups() -> None:
    bands = default_bands()
    assert bands.groups_for(45, unknown_group="minor", elderly_mode=True) == {"adult", "elderly"}
    assert bands.groups_for(25, unknown_group="minor", disputed=True) == {"adult", "minor"}


_SHIFTED = """version: 1
unknown_age_band: unknown
bands:
  - {id: young, min_age: 0, max_age: 15, minor: true, consent_required: true, daily_limit_minutes: 30,
     quiet_hours: null, reality_reminder_minutes: null, spending: null}
  - {id: teen, min_age: 16, max_age: 20, minor: true, consent_required: false, daily_limit_minutes: 60,
     quiet_hours: null, reality_reminder_minutes: null, spending: null}
  - {id: adult, min_age: 21, max_age: 64, minor: false, consent_required: false, daily_limit_minutes: null,
     quiet_hours: null, reality_reminder_minutes: null, spending: null}
  - {id: old, min_age: 65, max_age: 150, minor: false, elderly: true, consent_required: false,
     daily_limit_minutes: null, quiet_hours: null, reality_reminder_minutes: null, spending: null}
  - {id: unknown, min_age: null, max_age: null, minor: false, consent_required: false, daily_limit_minutes: null,
     quiet_hours: null, reality_reminder_minutes: null, spending: null}
"""


@pytest.fixture
def shifted_bands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The band table of another jurisdiction: minors to 20, consent to 15, elderly from 65."""
    path = tmp_path / "bands.yaml"
    path.write_text(_SHIFTED, "utf-8")
    table = load_bands(path)
    monkeypatch.setattr(bands_module, "load_bands", lambda path=None: table)
    default_bands.cache_clear()
    yield
    default_bands.cache_clear()


@pytest.mark.req("M1", "M2", "E1")
@pytest.mark.usefixtures("shifted_bands")
def test_every_age_reader_follows_the_one_band_table() -> None:
    pack = load_pack("cn-2026")
    # the pipeline's groups
    assert user_groups(15, pack) == {"child", "minor"}
    assert user_groups(19, pack) == {"minor"}
    assert user_groups(62, pack) == {"adult"}
    # the guardians' age profile
    assert age_profile(today=TODAY, declared_age=15).needs_consent
    assert age_profile(today=TODAY, declared_age=20).minor
    assert not elderly.is_elderly(age_profile(today=TODAY, declared_age=62), opted_in=False)
    # the minors detector and the reply heads' group feature
    assert user_is_minor(DetectionContext(direction=Direction.OUTPUT, user_age=19))
    assert age_group(19) == "minor" and age_group(62) == "adult" and age_group(66) == "elderly"
    stated = PossibleMinorDetector().detect(
        normalize("我今年19岁"), DetectionContext(direction=Direction.INPUT)
    )
    assert [s.category for s in stated] == ["user.possible_minor"]


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
