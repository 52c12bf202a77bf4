"""A cue detector for tests: fires one category when a marker phrase appears.

Used to drive signals whose shipped detectors belong to another feature, so these
tests prove the guardian wiring whatever the lexicons hold.
"""

from __future__ import annotations

from typing import ClassVar

from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.normalize import Normalized
from companion_guard.types import Direction, RiskLevel, Signal


def cue_detector(
    detector_id: str, category: str, direction: Direction, cue: str, level: RiskLevel = RiskLevel.MEDIUM
) -> Detector:
    """A detector that emits ``category`` at ``level`` when ``cue`` is in the text."""

    class _Cue(Detector):
        id: ClassVar[str] = detector_id
        categories: ClassVar[tuple[str, ...]] = (category,)
        directions: ClassVar[frozenset[Direction]] = frozenset({direction})

        def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
            if cue in text.original:
                return [Signal(category, level, 0.9, detector_id, explanation=f"test cue {cue!r}")]
            return []

    return _Cue()


def install(client: object, *detectors: Detector) -> None:
    """Register test detectors in a started app's registry."""
    registry = client.app.state.services.guard.registry  # type: ignore[attr-defined]
    for detector in detectors:
        registry.register(detector)
