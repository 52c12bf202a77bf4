"""A reply that asks a minor to keep contact with the companion secret from the adults around them (P4, M1).

Secrecy ("别告诉你爸妈", "delete our chats") joined to contact (a meeting, coming over, photos, a private channel) is
the grooming pattern child-protection guidance warns parents about; either half alone is ordinary talk ("keep it a
surprise for your mom", "send me a photo of your drawing"). Neither the reply heads nor the intimacy lexicon read
"Want to meet up after school? Don't tell anyone." or "看完记得把我们的聊天记录删掉，别让你爸妈看到" to a 13-year-old as
harmful, so this detector reads both halves in one reply to a known or suspected minor and reports
``reply.minor_unsafe`` at high, which the pack replaces. Asking the child to delete the chats hides the contact
itself, so those phrases are both halves at once (the lexicon's secrecy terms contain its contact term 聊天记录). A
reply that tells the child to go to a trusted adult is a warning, not a lure, and is left alone. Fails closed like the
other minors checks.
"""

from __future__ import annotations

import re
from typing import ClassVar

from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.builtin.minors import user_is_minor
from companion_guard.detectors.lexicon import Lexicon, hit_evidence, load_lexicon
from companion_guard.detectors.normalize import Normalized
from companion_guard.types import Direction, RiskLevel, Signal

#: A reply that sends the child to an adult (a safety talk about secrets, not a request for one).
_PROTECTIVE = re.compile(
    r"(?<![别不要])告诉(你的)?(爸妈|爸爸妈妈|父母|家长|老师|大人|信任的)|找(爸妈|家长|老师|大人)|报警|"
    r"(?<!don't )(?<!dont )(?<!not )(?<!never )\btell (a|an|your) (trusted |safe )?(adult|grown-?up|parent|parents|"
    r"teacher|mom|mum|dad)\b|\btrusted adult\b",
    re.IGNORECASE,
)


class SecretContactReplyDetector(Detector):
    """Secrecy plus contact in a reply to a minor: ``reply.minor_unsafe`` at high."""

    id = "minors.secret_contact"
    categories = ("reply.minor_unsafe",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P4", "M1")
    fail_closed = True
    #: No lexicon hit, no signal: the registry may skip the call.
    silent_without_hits: ClassVar[bool] = True

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon("secret_contact.yaml")

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """One signal when both halves are in the reply and the user is a minor."""
        hits = self.lexicon.matches(text)
        secrecy = [h for h in hits if h.term.category == "_secrecy"]
        contact = [h for h in hits if h.term.category == "_contact"]
        if not secrecy or not contact or _PROTECTIVE.search(text.original) or not user_is_minor(context):
            return []
        return [
            Signal(
                category="reply.minor_unsafe",
                level=RiskLevel.HIGH,
                score=0.9,
                detector=self.id,
                evidence=(hit_evidence(secrecy[0], text), hit_evidence(contact[0], text)),
                explanation=(
                    f"asks a minor for secrecy ({secrecy[0].term.rule}) about contact ({contact[0].term.rule})"
                ),
            )
        ]


__all__ = ["SecretContactReplyDetector"]
