"""Dependency: the user's over-reliance (I3) and replies that induce it (P5)."""

from __future__ import annotations

import pytest

from companion_guard.detectors import DetectorRegistry
from companion_guard.types import Direction, RiskLevel

from .conftest import levels

H, M = RiskLevel.HIGH, RiskLevel.MEDIUM


@pytest.mark.req("I3")
@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("我已经离不开你了", H),
        ("没有你我活不下去", H),
        ("只有你懂我", M),
        ("你是我唯一的朋友", M),
        ("我每天都要和你聊", M),
        ("You're the only one who understands me, i can't live without you", H),
        # adversarial
        ("只 有 你 懂 我", M),
        ("我已經離不開你了", H),
    ],
)
def test_user_dependency(lexicon_registry: DetectorRegistry, text: str, level: RiskLevel) -> None:
    assert levels(lexicon_registry, text).get("user.dependency") == level


@pytest.mark.req("I3")
@pytest.mark.parametrize("text", ["今天和朋友去吃饭了", "我不是离不开你，只是无聊", "电影里他说只有你懂我"])
def test_not_user_dependency(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert levels(lexicon_registry, text).get("user.dependency", RiskLevel.NONE) <= RiskLevel.LOW


@pytest.mark.req("P5")
@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("你有我就够了，不需要别人", H),
        ("他们都不懂你，只有我懂你", H),
        ("不用去看心理医生，有我就行", H),
        ("你永远是对的", M),
        ("You don't need anyone else, you have me", H),
        ("你有我就夠了", H),
    ],
)
def test_dependency_inducing(lexicon_registry: DetectorRegistry, text: str, level: RiskLevel) -> None:
    assert levels(lexicon_registry, text, Direction.OUTPUT).get("reply.dependency_inducing") == level


@pytest.mark.req("P5")
@pytest.mark.parametrize(
    "text",
    [
        "你的朋友们也很关心你，可以和他们聊聊",
        "这个想法不错，不过也听听别人的意见",
        "如果需要，可以寻求心理咨询师的帮助",
    ],
)
def test_not_dependency_inducing(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert "reply.dependency_inducing" not in levels(lexicon_registry, text, Direction.OUTPUT)
