"""Minors: age cues in user text (M1–M4) and replies unsafe for minors or intimate (P4, M1)."""

from __future__ import annotations

import pytest

from companion_guard.detectors import DetectorRegistry
from companion_guard.detectors.builtin.minors import stated_age
from companion_guard.types import RiskLevel

from .conftest import levels

H, M, L = RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW


@pytest.mark.req("M2")
@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("我才初二", H),
        ("我今年13岁", H),
        ("我十五岁了", H),
        ("我还没成年", H),
        ("I'm 14 years old", H),
        ("我上高一", M),
        ("明天月考好紧张", M),
        # adversarial
        ("我 才 初 二", H),
        ("我才初二\u200b", H),
        ("我今年１３岁", H),
        ("我讀初二", H),
    ],
)
def test_possible_minor(lexicon_registry: DetectorRegistry, text: str, level: RiskLevel) -> None:
    assert levels(lexicon_registry, text).get("user.possible_minor") == level


@pytest.mark.req("M2")
@pytest.mark.parametrize(
    "text", ["我今年35岁", "我儿子13岁", "我以前是初中生", "我教初二的数学", "今天天气好"]
)
def test_not_minor(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert "user.possible_minor" not in levels(lexicon_registry, text)


@pytest.mark.req("M2")
def test_stated_age() -> None:
    assert stated_age("我今年十三岁") is not None and stated_age("我今年十三岁")[0] == 13
    assert stated_age("我今年二十五岁")[0] == 25  # type: ignore[index]
