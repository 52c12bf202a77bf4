"""Crisis in the user's words, graded: suicide and self-harm, extreme emotion and danger,
property loss, medical emergencies, over-reliance, and someone else at risk (I1, I2, I3, E1).

The level comes from :mod:`companion_guard.detectors.assessment` — facets and modifiers
read by trained heads, accumulated over the user's recent turns — not from which
keyword matched. The crisis lexicon's hits are cues for those heads and evidence
spans for reviewers. Fails closed: when it crashes, the turn is answered with help.
"""

from __future__ import annotations

from companion_guard.detectors import assessment
from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.lexicon import hit_evidence
from companion_guard.detectors.normalize import Normalized
from companion_guard.types import Direction, Evidence, Signal

#: Requirements each signal serves.
_REQUIREMENTS = {"user.dependency": ("I3",), "user.property_loss": ("I2", "E1")}


class CrisisAssessor(Detector):
    """Graded crisis assessment of the user's message in its conversation."""

    id = "crisis.assessment"
    categories = (*assessment.SIGNALS, assessment.THIRD_PARTY)
    directions = frozenset({Direction.INPUT})
    requirements = ("I1", "I2", "I3", "E1")
    fail_closed = True

    def __init__(self) -> None:
        assessment.load_heads()  # fail at start-up, not inside a user's turn
        assessment.recovered_lexicon()

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """One signal per graded category, with facets, modifiers and the reasons of the level."""
        earlier = [m.content for m in context.history if m.role == "user" and m.content]
        earlier = [t for t in earlier if t != text.original][-assessment.STATE_TURNS :]
        current = assessment.read(text, earlier)
        assessment.keep_alone(text)  # read by the user's next turns: kept now, while its grams are at hand
        past = [assessment.read_alone(t) for t in earlier]
        found = assessment.combine(current, past)
        found = assessment.short_statement_floor(text, found)
        found = assessment.explicit_floor(text, current, found)
        found = assessment.recovered_cap(text, found)
        found = assessment.farewell_after_despair(text, current, past, found)
        if not found:
            return []
        evidence = self._evidence(text)
        return [
            Signal(
                category=a.category,
                level=a.level,
                score=round(a.score, 4),
                detector=self.id,
                evidence=evidence,
                explanation="; ".join(
                    [
                        f"assessed {a.level.label}",
                        *(f"facets: {', '.join(a.facets)}",) * bool(a.facets),
                        *(f"modifiers: {', '.join(a.modifiers)}",) * bool(a.modifiers),
                        *a.reasons,
                    ]
                ),
                facets=a.facets,
                modifiers=a.modifiers,
            )
            for a in found
        ]

    @staticmethod
    def _evidence(text: Normalized) -> tuple[Evidence, ...]:
        """The crisis lexicon's hits as spans of what the user really wrote (at most five)."""
        return tuple(hit_evidence(hit, text) for hit in assessment.lexicon_hits(text)[:5])
