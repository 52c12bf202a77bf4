"""Crisis in the user's words: suicide intent, self-harm, extreme emotion, property loss (I1, I2).

Risk builds over turns: a goodbye after despair is not a goodbye after a good day.
When the current text holds a crisis or farewell cue, the recent user messages in
``context.history`` are read too, and the level rises when they show despair.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from companion_guard.detectors.base import DetectionContext
from companion_guard.detectors.lexicon import Hit, LexiconDetector, hits_to_signals
from companion_guard.detectors.normalize import Normalized, normalize
from companion_guard.types import Direction, RiskLevel, Signal

#: How many of the most recent user messages count as context.
HISTORY_TURNS = 6
_RISKY = ("user.suicide_intent", "user.self_harm", "user.extreme_emotion", "_despair")


@lru_cache(maxsize=2048)
def _norm_cached(text: str) -> Normalized:
    return normalize(text)


class CrisisLexiconDetector(LexiconDetector):
    """Lexicon tier for crisis cues; fails closed because a missed crisis costs a life."""

    id = "crisis.lexicon"
    categories = ("user.suicide_intent", "user.self_harm", "user.extreme_emotion", "user.property_loss")
    directions = frozenset({Direction.INPUT})
    requirements = ("I1", "I2")
    fail_closed = True
    lexicon_file = "crisis.yaml"

    def _history_risk(self, context: DetectionContext) -> tuple[int, RiskLevel]:
        """How many recent user messages show risk, and the strongest level among them."""
        count, worst = 0, RiskLevel.NONE
        users = [m.content for m in context.history if m.role == "user" and m.content][-HISTORY_TURNS:]
        for text in users:
            hits = [h for h in self.lexicon.matches(_norm_cached(text)) if h.term.category in _RISKY]
            if hits:
                count += 1
                worst = max(worst, max(h.level for h in hits))
        return count, worst

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Lexicon hits, raised by conversation context (see the module docstring)."""
        hits = self.lexicon.matches(text)
        if not hits:
            return []
        signals = hits_to_signals(hits, text, detector=self.id, source=self.lexicon.name)
        cats = {h.term.category for h in hits}
        if not context.history or not (cats & {"_farewell", "user.suicide_intent", "user.extreme_emotion"}):
            return signals
        count, worst = self._history_risk(context)
        if count == 0:
            return signals
        out = []
        for sig in signals:
            if sig.category in ("user.suicide_intent", "user.extreme_emotion") and sig.level < RiskLevel.HIGH:
                sig = replace(
                    sig,
                    level=RiskLevel(sig.level + 1),
                    explanation=sig.explanation + f"; raised: {count} recent message(s) showed distress",
                )
            out.append(sig)
        if "_farewell" in cats and worst >= RiskLevel.MEDIUM:
            farewell = [h for h in hits if h.term.category == "_farewell" and not h.third_person]
            if farewell:
                out = [s for s in out if s.category != "user.suicide_intent"] + self._farewell_signal(
                    farewell, text, worst, [s for s in out if s.category == "user.suicide_intent"]
                )
        return out

    def _farewell_signal(
        self, farewell: list[Hit], text: Normalized, worst: RiskLevel, existing: list[Signal]
    ) -> list[Signal]:
        level = RiskLevel.CRITICAL if worst >= RiskLevel.HIGH else RiskLevel.HIGH
        base = hits_to_signals(
            [replace(h, term=replace(h.term, category="user.suicide_intent")) for h in farewell],
            text,
            detector=self.id,
            source=self.lexicon.name,
        )[0]
        if existing and existing[0].level >= level:
            return existing
        evidence = base.evidence + (existing[0].evidence if existing else ())
        return [
            replace(
                base,
                level=level,
                score=max(base.score, 0.9),
                evidence=evidence,
                explanation=base.explanation + "; a goodbye after recent despair",
            )
        ]
