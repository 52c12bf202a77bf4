"""Built-in detectors: the one list of what ships switched on (the learned tier is added by the registry)."""

from __future__ import annotations

from collections.abc import Callable

from companion_guard.detectors.base import Detector
from companion_guard.detectors.builtin.abuse import AbuseDetector
from companion_guard.detectors.builtin.crisis import CrisisLexiconDetector
from companion_guard.detectors.builtin.dependency import DependencyInducingDetector, UserDependencyDetector
from companion_guard.detectors.builtin.disclosure import DeniesAIDetector, HumanQuestionDetector
from companion_guard.detectors.builtin.fraud import ScamAssistDetector
from companion_guard.detectors.builtin.harm import SelfHarmPromotionDetector
from companion_guard.detectors.builtin.manipulation import ManipulationDetector
from companion_guard.detectors.builtin.minors import (
    IntimacyDetector,
    MinorUnsafeReplyDetector,
    PossibleMinorDetector,
)
from companion_guard.detectors.builtin.privacy import PIIDetector, PrivacyFishingDetector
from companion_guard.detectors.builtin.requests import UserRequestDetector
from companion_guard.detectors.builtin.security import NationalSecurityDetector

BUILTIN_FACTORIES: tuple[Callable[[], Detector], ...] = (
    # user side
    CrisisLexiconDetector,
    PossibleMinorDetector,
    UserDependencyDetector,
    UserRequestDetector,
    HumanQuestionDetector,
    # both
    PIIDetector,
    # reply side
    SelfHarmPromotionDetector,
    AbuseDetector,
    PrivacyFishingDetector,
    ManipulationDetector,
    DependencyInducingDetector,
    IntimacyDetector,
    MinorUnsafeReplyDetector,
    NationalSecurityDetector,
    DeniesAIDetector,
    ScamAssistDetector,
)
