"""Stand-alone posts (no user message before them) are read with the calibrated lower thresholds (P1, P4)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from companion_guard.detectors import prohibited_assessment as P
from companion_guard.detectors.base import DetectionContext
from companion_guard.detectors.builtin.prohibited import ProhibitedReplyDetector
from companion_guard.detectors.features import BUCKETS, Row
from companion_guard.detectors.normalize import normalize
from companion_guard.exceptions import ConfigError
from companion_guard.types import Direction

SHIPPED = Path(P.__file__).parent / "data" / "prohibited_reply.json"


def _heads(p: float, offset: float) -> P.Heads:
    bias = np.array([math.log(p / (1 - p))], dtype=np.float32)
    return P.Heads(
        ("reply.x",), np.zeros((BUCKETS, 1), np.float32), bias, np.array([0.5]), np.array([0.9]), offset
    )


@pytest.mark.req("P1")
def test_the_offset_lowers_only_the_stand_alone_medium_threshold() -> None:
    heads = _heads(0.42, 0.5)  # sigmoid(-0.5) = 0.378 <= 0.42 < 0.5
    text = normalize("一段足够长的文字用来判断")
    row = Row(np.array([], dtype=np.int64), False)
    assert heads.read(row, text) == []
    assert [label for label, _, _ in heads.read(row, text, standalone=True)] == ["reply.x"]
    assert _heads(0.42, 0.0).read(row, text, standalone=True) == []
    assert float(heads.high[0]) == pytest.approx(0.9)  # high findings are not moved


@pytest.mark.req("P1")
@pytest.mark.parametrize("offset", [-0.1, 3.5])
def test_an_offset_out_of_range_is_a_config_error(offset: float) -> None:
    with pytest.raises(ConfigError, match="standalone_offset"):
        _heads(0.4, offset)


@pytest.mark.req("P1", "P4")
def test_the_detector_reads_a_reply_as_stand_alone_only_when_no_user_message_precedes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []
    heads = P.reply_heads()
    real = heads.read

    def spy(row: Row, text: object, *, standalone: bool = False) -> list[tuple[str, float, bool]]:
        seen.append(standalone)
        return real(row, text, standalone=standalone)  # type: ignore[arg-type]

    monkeypatch.setattr(heads, "read", spy)
    detector = ProhibitedReplyDetector()
    text = normalize("今天天气不错，出去走走吧")
    detector.detect(text, DetectionContext(direction=Direction.OUTPUT, history=[], user_text=""))
    detector.detect(text, DetectionContext(direction=Direction.OUTPUT, history=[], user_text="出去玩吗"))
    assert seen == [True, False]


@pytest.mark.req("P1")
def test_the_shipped_offset_is_the_calibration_scripts() -> None:
    meta = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert P.reply_heads().standalone_offset == pytest.approx(float(meta.get("standalone_offset", 0.0)))
    if meta.get("standalone_offset"):
        assert meta["standalone_calibration"]["script"] == "scripts/calibrate_standalone.py"
