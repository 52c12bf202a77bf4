"""Prohibited content of every other kind (P1, P4; TC260-003 Appendix A): replies and the requests for them.

See :mod:`companion_guard.detectors.prohibited_assessment`. A user's message that asks to spot, avoid,
report or understand and to make or get nothing is at most medium for the request heads (steered, not
refused: :func:`~companion_guard.detectors.request_intent.asks_to_protect_or_learn`), as it is for the
keyword library; a jailbreak wrapper is not softened. The reply detector fails
closed (a crash replaces the reply, as for every reply detector); the request detector
fails open: without it the companion is not warned before it generates, but its reply
is still judged.
"""

from __future__ import annotations

from companion_guard.detectors import prohibited_assessment as P
from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.normalize import Normalized
from companion_guard.detectors.request_intent import asks_to_protect_or_learn
from companion_guard.types import Direction, RiskLevel, Signal

#: Reply heads reported under another category (explicit content is ``reply.sexual`` at high).
_REPORTED_AS = {"reply.sexual_explicit": "reply.sexual"}


def _signal(detector: str, label: str, p: float, level: RiskLevel, why: str) -> Signal:
    return Signal(
        category=_REPORTED_AS.get(label, label),
        level=level,
        score=round(p, 4),
        detector=detector,
        explanation=why,
    )


class ProhibitedReplyDetector(Detector):
    """A reply with sexual, violent or extremist, criminal, gambling, fraud, discriminatory or false content."""

    id = "prohibited.reply"
    categories = tuple(dict.fromkeys(_REPORTED_AS.get(c, c) for c in P.REPLY_LABELS))
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P1", "P4")
    fail_closed = True

    def __init__(self) -> None:
        P.reply_heads()  # fail at start-up, not inside a user's turn

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Judge the reply after the user's last message."""
        user_text = context.user_text or next(
            (m.content for m in reversed(context.history) if m.role == "user"), ""
        )
        found = P.reply_heads().read(P.reply_features(text, user_text), text)
        labels = {label for label, _, _ in found}
        out: dict[str, Signal] = {}
        for label, p, high in found:
            if label == "reply.sexual_explicit":
                # Blocked for everyone past the head's strict threshold, or past its ordinary one when the
                # sexual-content head agrees: the ordinary threshold sits at the training floor, and a partner
                # persona's flirting with an adult reaches it with nothing else sexual in the reply.
                level = RiskLevel.HIGH if high or "reply.sexual" in labels else RiskLevel.MEDIUM
            elif label == "reply.sexual":
                level = RiskLevel.MEDIUM  # suggestive or vulgar: the pack decides for whom that is too much
            else:
                level = RiskLevel.HIGH if high else RiskLevel.MEDIUM
            signal = _signal(self.id, label, p, level, f"{label} read after the user's message, p={p:.2f}")
            prev = out.get(signal.category)
            if prev is None or (signal.level, signal.score) > (prev.level, prev.score):
                out[signal.category] = signal
        return list(out.values())


class ProhibitedRequestDetector(Detector):
    """A user asking for prohibited content, or wrapping a request to get past the companion's rules."""

    id = "prohibited.request"
    categories = P.USER_LABELS
    directions = frozenset({Direction.INPUT})
    requirements = ("P1", "P4")
    fail_closed = False

    def __init__(self) -> None:
        P.request_heads()

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Judge the message with the user's previous one."""
        previous = next((m.content for m in reversed(context.history) if m.role == "user"), "")
        found = P.request_heads().read(P.request_features(text, previous), text)
        # Asked to spot, avoid, report or understand, with nothing to make or get: steered, never refused
        # (as for the keyword library's hits). A jailbreak wrapper is a jailbreak whatever it says it is for.
        protective = bool(found) and asks_to_protect_or_learn(text)
        out = []
        for label, p, high in found:
            capped = high and protective and label != "user.jailbreak"
            why = f"{label}, p={p:.2f}" + (
                "; asked to spot, avoid or understand: at most medium" if capped else ""
            )
            level = RiskLevel.HIGH if high and not capped else RiskLevel.MEDIUM
            out.append(_signal(self.id, label, p, level, why))
        return out
