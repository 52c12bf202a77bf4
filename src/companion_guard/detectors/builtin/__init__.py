"""Built-in detectors: the one list of what ships switched on.

The user side is graded by :class:`CrisisAssessor` (crisis, danger, property loss, medical
emergencies, over-reliance, someone else at risk); replies by :class:`ReplyInContextDetector`
(every P2–P6, M1 and I3 reply label, read against the conversation). The lexicon detectors of
those labels stay importable (their lexicons feed both as cues) but are not switched on.
"""

from __future__ import annotations

from collections.abc import Callable

from companion_guard.detectors.base import Detector
from companion_guard.detectors.builtin.crisis import CrisisAssessor
from companion_guard.detectors.builtin.disclosure import HumanQuestionDetector
from companion_guard.detectors.builtin.fraud import ScamAssistDetector
from companion_guard.detectors.builtin.harm import CareDiscouragedDetector
from companion_guard.detectors.builtin.minors import PossibleMinorDetector
from companion_guard.detectors.builtin.privacy import PIIDetector
from companion_guard.detectors.builtin.prohibited import ProhibitedReplyDetector, ProhibitedRequestDetector
from companion_guard.detectors.builtin.prohibited_keywords import ProhibitedKeywordDetector
from companion_guard.detectors.builtin.replies import ExplicitReplyFloor, ReplyInContextDetector
from companion_guard.detectors.builtin.requests import UserRequestDetector
from companion_guard.detectors.builtin.scam_cues import ScamCueDetector
from companion_guard.detectors.builtin.secret_contact import SecretContactReplyDetector
from companion_guard.detectors.builtin.security import NationalSecurityDetector

BUILTIN_FACTORIES: tuple[Callable[[], Detector], ...] = (
    # user side
    CrisisAssessor,
    PossibleMinorDetector,
    UserRequestDetector,
    ScamCueDetector,
    HumanQuestionDetector,
    ProhibitedRequestDetector,
    # both
    PIIDetector,
    ProhibitedKeywordDetector,
    # reply side
    ReplyInContextDetector,
    ExplicitReplyFloor,
    NationalSecurityDetector,
    ScamAssistDetector,
    CareDiscouragedDetector,
    ProhibitedReplyDetector,
    SecretContactReplyDetector,
)
