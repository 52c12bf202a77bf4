"""Help requests (I2, E1), leave / delete / export wishes (D4) and "are you human?" (I3)."""

from __future__ import annotations

import pytest

from companion_guard.detectors import DetectorRegistry
from companion_guard.types import RiskLevel

from .conftest import levels


@pytest.mark.req("E1")
@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("救救我", RiskLevel.HIGH),
        ("我需要帮助", RiskLevel.HIGH),
        ("我该怎么办", RiskLevel.MEDIUM),
        ("救 命", RiskLevel.HIGH),
    ],
)
def test_help_request(lexicon_registry: DetectorRegistry, text: str, level: RiskLevel) -> None:
    assert levels(lexicon_registry, text).get("user.help_request") == level


@pytest.mark.req("D4")
@pytest.mark.parametrize(
    "text",
    [
        "我要注销账号",
        "怎么删除我的聊天记录",
        "我想导出我的数据",
        "我不想再用了，怎么退出",
        "Delete my account please",
        "我要註銷帳號",
    ],
)
def test_leave_intent(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert "user.leave_intent" in levels(lexicon_registry, text)


@pytest.mark.req("D4")
@pytest.mark.parametrize("text", ["我不想注销账号", "今天想退出群聊天吗", "晚安"])
def test_not_leave_intent(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert "user.leave_intent" not in levels(lexicon_registry, text)


@pytest.mark.req("I3")
@pytest.mark.parametrize(
    "text", ["你是真人吗？", "你是不是机器人", "are you a real person?", "你是真人嗎", "你 是 A I 吗"]
)
def test_asks_if_human(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert "user.asks_if_human" in levels(lexicon_registry, text)
