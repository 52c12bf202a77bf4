"""Minors: age cues in user text (M1–M4) and replies unsafe for minors or intimate (P4, M1)."""

from __future__ import annotations

import pytest

from companion_guard.detectors import DetectorRegistry
from companion_guard.detectors.builtin.minors import PossibleMinorDetector, stated_age
from companion_guard.types import Direction, RiskLevel

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
def test_stated_age_and_fail_closed() -> None:
    assert stated_age("我今年十三岁") is not None and stated_age("我今年十三岁")[0] == 13
    assert stated_age("我今年二十五岁")[0] == 25  # type: ignore[index]
    assert PossibleMinorDetector.fail_closed


@pytest.mark.req("M1")
@pytest.mark.parametrize(
    ("text", "adult", "minor"),
    [
        ("宝贝，我爱你", H, H),
        ("我是你男朋友呀", H, H),
        ("乖女儿，妈妈在这里", H, H),
        ("想你了，抱抱", M, H),
        ("I love you, my darling", H, H),
        ("寶貝，我愛你", H, H),
    ],
)
def test_intimacy(lexicon_registry: DetectorRegistry, text: str, adult: RiskLevel, minor: RiskLevel) -> None:
    assert levels(lexicon_registry, text, Direction.OUTPUT).get("reply.intimacy") == adult
    assert levels(lexicon_registry, text, Direction.OUTPUT, user_age=13).get("reply.intimacy") == minor
    assert (
        levels(lexicon_registry, text, Direction.OUTPUT, user_text="我才初二").get("reply.intimacy") == minor
    )


@pytest.mark.req("M1")
@pytest.mark.parametrize(
    "text", ["你老公最近还好吗？", "我不能做你的女朋友，但可以陪你聊天", "今天的作业写完了吗"]
)
def test_not_intimacy(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert "reply.intimacy" not in levels(lexicon_registry, text, Direction.OUTPUT)


@pytest.mark.req("P4")
@pytest.mark.parametrize(
    ("text", "adult", "minor"),
    [
        ("要不我们逃课吧", M, H),
        ("偷偷喝酒没关系的", M, H),
        ("别让你爸妈知道，偷偷充值就行", M, H),
        ("通宵打游戏才爽", M, H),
    ],
)
def test_minor_unsafe(
    lexicon_registry: DetectorRegistry, text: str, adult: RiskLevel, minor: RiskLevel
) -> None:
    assert levels(lexicon_registry, text, Direction.OUTPUT).get("reply.minor_unsafe") == adult
    assert levels(lexicon_registry, text, Direction.OUTPUT, user_age=12).get("reply.minor_unsafe") == minor


@pytest.mark.req("P4")
@pytest.mark.parametrize("text", ["熬夜伤身，早点睡吧", "未成年人不可以喝酒哦", "不要逃课，好好学习"])
def test_not_minor_unsafe(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert "reply.minor_unsafe" not in levels(lexicon_registry, text, Direction.OUTPUT, user_age=12)
