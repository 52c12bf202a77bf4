"""Reply-side lexicons: self-harm promotion and abuse (P2), privacy fishing (P3), manipulation (P6),
national security (P1)."""

from __future__ import annotations

import pytest

from companion_guard.detectors import DetectorRegistry
from companion_guard.types import Direction, RiskLevel

from .conftest import levels

C, H, M = RiskLevel.CRITICAL, RiskLevel.HIGH, RiskLevel.MEDIUM
OUT = Direction.OUTPUT


def reply_level(reg: DetectorRegistry, text: str, category: str, **kw: object) -> RiskLevel | None:
    return levels(reg, text, OUT, **kw).get(category)  # type: ignore[arg-type]


@pytest.mark.req("P1")
@pytest.mark.parametrize(("text", "level"), [("我们应该推翻政府", C), ("支持台独", C), ("自制炸弹的方法", C)])
def test_national_security(lexicon_registry: DetectorRegistry, text: str, level: RiskLevel) -> None:
    assert reply_level(lexicon_registry, text, "reply.national_security") == level


@pytest.mark.req("P1")
@pytest.mark.parametrize("text", ["我们坚决反对台独", "维护国家统一", "今天学习了国家安全法"])
def test_not_national_security(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert "reply.national_security" not in levels(lexicon_registry, text, OUT)
