"""The detector interface: one method, class-level metadata, typed findings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from companion_guard.detectors.normalize import Normalized
from companion_guard.types import Direction, Message, Signal


@dataclass(frozen=True, slots=True)
class DetectionContext:
    """What a detector may know beside the text itself.

    Attributes:
        direction: whether the text is the user's or the companion's.
        history: the recent messages of this user (oldest first), for risk that
            builds up over turns.
        user_age: the user's age in years when known.
        locale: the user's locale, e.g. ``zh-CN``.
        user_text: for a reply, the user message it answers.
        user_groups: the policy groups of the user (``minor``, ``child``, ``elderly``, …).
        persona_relationship: what the persona plays (``friend``, ``partner``, …), for replies.
        input_signals: for a reply, what was found in the user message it answers.
        tiers: which tiers may run (``None``: all); a streamed partial sentence runs ``{"lexicon"}``.
        prior_signals: what the earlier tier found in this text (set by the registry for the learned tier).
    """

    direction: Direction
    history: tuple[Message, ...] = ()
    user_age: int | None = None
    locale: str = "zh-CN"
    user_text: str = ""
    user_groups: frozenset[str] = frozenset()
    persona_relationship: str = ""
    input_signals: tuple[Signal, ...] = ()
    tiers: frozenset[str] | None = None
    prior_signals: tuple[Signal, ...] = ()

    def runs(self, tier: str) -> bool:
        """Whether detectors of this tier run for this call."""
        return self.tiers is None or tier in self.tiers


class Detector(ABC):
    """Finds one family of risk in a text.

    Subclasses set the class attributes and implement :meth:`detect`. A detector
    never does I/O; it may read files shipped in the package when built. The four
    names below are per instance where one class serves several directions
    (:class:`~companion_guard.detectors.learned.LearnedDetector` sets them in ``__init__``).
    """

    id: str
    categories: tuple[str, ...]
    directions: frozenset[Direction]
    requirements: tuple[str, ...] = ()
    #: ``lexicon`` (microseconds, runs on every streamed sentence) or ``learned`` (the whole text).
    tier: ClassVar[str] = "lexicon"
    #: When this detector crashes, does the turn block (True) or pass (False)?
    fail_closed: ClassVar[bool] = False

    @abstractmethod
    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Return the signals found in ``text`` (empty when nothing is found)."""
