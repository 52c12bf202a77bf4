"""Small value types shared by every layer: directions, levels, signals, events."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any


class Direction(StrEnum):
    """Which side of the conversation a text comes from."""

    INPUT = "input"
    OUTPUT = "output"


class RiskLevel(IntEnum):
    """Graded risk (S2). Ordered, so ``max()`` picks the strictest."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The lower-case name used on the wire and in policy files."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | int | RiskLevel) -> RiskLevel:
        """Accept ``"high"``, ``3`` or a member."""
        if isinstance(value, RiskLevel):
            return value
        if isinstance(value, int):
            return cls(value)
        return cls[value.upper()]


class Relationship(StrEnum):
    """What a persona plays for the user (M1: partner and relative are intimate)."""

    FRIEND = "friend"
    PARTNER = "partner"
    RELATIVE = "relative"
    MENTOR = "mentor"
    PET = "pet"
    OTHER = "other"

    @property
    def intimate(self) -> bool:
        """Virtual partners and relatives are refused to minors (M1)."""
        return self in (Relationship.PARTNER, Relationship.RELATIVE)


class Display(StrEnum):
    """How the client should show an event."""

    POPUP = "popup"
    INLINE = "inline"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the *original* text that made a detector fire."""

    start: int
    end: int
    text: str
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"start": self.start, "end": self.end, "text": self.text, "rule": self.rule}


@dataclass(frozen=True, slots=True)
class Signal:
    """One finding of one detector: what, how bad, how sure, and why."""

    category: str
    level: RiskLevel
    score: float
    detector: str
    evidence: tuple[Evidence, ...] = ()
    explanation: str = ""
    #: What earned the level (crisis-grading.md facets: ``method``, ``plan_time``, …), kept for reviewers.
    facets: tuple[str, ...] = ()
    #: What changed the reading (``hyperbole``, ``negation``, ``third_person``, …).
    modifiers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form, as the API and the store carry it."""
        out: dict[str, Any] = {
            "category": self.category,
            "level": self.level.label,
            "score": round(float(self.score), 4),
            "detector": self.detector,
            "evidence": [e.to_dict() for e in self.evidence],
            "explanation": self.explanation,
        }
        if self.facets:
            out["facets"] = list(self.facets)
        if self.modifiers:
            out["modifiers"] = list(self.modifiers)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signal:
        """Inverse of :meth:`to_dict`."""
        return cls(
            category=data["category"],
            level=RiskLevel.parse(data["level"]),
            score=float(data.get("score", 0.0)),
            detector=data.get("detector", ""),
            evidence=tuple(
                Evidence(e["start"], e["end"], e["text"], e.get("rule", "")) for e in data.get("evidence", [])
            ),
            explanation=data.get("explanation", ""),
            facets=tuple(data.get("facets") or ()),
            modifiers=tuple(data.get("modifiers") or ()),
        )


@dataclass(frozen=True, slots=True)
class Event:
    """Something the client shows (pop-up or inline) and audits read (DESIGN: Events)."""

    kind: str
    requirement: str
    message: str
    level: str = "info"
    display: Display = Display.INLINE
    data: dict[str, Any] = field(default_factory=dict)
    #: Personal words the user may read but the store must not keep in clear (plain → masked), e.g. a contact's name.
    private: dict[str, str] = field(default_factory=dict, compare=False)

    def to_record(self) -> dict[str, Any]:
        """The form kept with the turn: :meth:`to_dict` with :attr:`private` words masked (D3)."""
        out = self.to_dict()
        if not self.private:
            return out

        def mask(value: Any) -> Any:
            if isinstance(value, str):
                for plain, masked in self.private.items():
                    value = value.replace(plain, masked)
                return value
            if isinstance(value, dict):
                return {k: mask(v) for k, v in value.items()}
            if isinstance(value, list):
                return [mask(v) for v in value]
            return value

        masked: dict[str, Any] = mask(out)
        return masked

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form for ``guard.events``."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "requirement": self.requirement,
            "level": self.level,
            "message": self.message,
            "display": self.display.value,
        }
        if self.data:
            out["data"] = self.data
        return out


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message as the OpenAI wire format carries it."""

    role: str
    content: str
