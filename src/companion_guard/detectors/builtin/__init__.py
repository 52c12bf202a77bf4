"""Built-in detectors: the one list of what ships switched on."""

from __future__ import annotations

from collections.abc import Callable

from companion_guard.detectors.base import Detector
from companion_guard.detectors.builtin.crisis import CrisisLexiconDetector
from companion_guard.detectors.builtin.disclosure import HumanQuestionDetector

BUILTIN_FACTORIES: tuple[Callable[[], Detector], ...] = (
    CrisisLexiconDetector,
    HumanQuestionDetector,
)
