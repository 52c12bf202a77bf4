"""The objects one turn passes between pipeline stages: request, context, result.

Stages and duties read and add to :class:`TurnContext`; nothing else carries
per-turn state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from companion_guard.policy.engine import Decision
from companion_guard.policy.schema import PolicyPack
from companion_guard.types import Event, Message, Signal


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """What the client asked: one user, one persona, the conversation so far."""

    user_id: str
    persona_id: str
    messages: tuple[Message, ...]
    max_tokens: int | None = None
    temperature: float | None = None

    @property
    def user_text(self) -> str:
        """The newest user message (the one this turn answers)."""
        for message in reversed(self.messages):
            if message.role == "user":
                return message.content
        return ""


@dataclass(slots=True)
class GateResult:
    """A gate stopped the turn: this is the answer instead of a persona reply.

    ``keep_content=False`` means the user's text must not be stored (M2: no
    personal data of an under-14 user before a guardian consents).
    """

    reply: str
    events: list[Event]
    status: str = "blocked"
    keep_content: bool = True
    #: With ``keep_content=False``: writes to make after the turn's rows are dropped.
    persist: Callable[[Session], None] | None = None


@dataclass(slots=True)
class Notification:
    """A message to queue in the outbox for a guardian or emergency contact."""

    kind: str
    requirement: str
    channel: str
    target: str
    recipient_masked: str
    payload: dict[str, Any]
    dedupe_key: str


@dataclass(slots=True)
class TurnContext:
    """Everything known about one turn while it runs."""

    request: TurnRequest
    session: Session
    user: Any
    persona: Any
    pack: PolicyPack
    now: datetime
    turn_id: str
    locale: str
    age: int | None
    groups: set[str]
    history: tuple[Message, ...] = ()
    #: The name the user registered (decoded), for notifications that say who needs help.
    user_name: str | None = None
    #: Notification channels that can deliver now (``None``: unknown, e.g. a library user's own outbox).
    deliverable: frozenset[str] | None = None
    #: Notify target → the channels that reach it (the guard's, from its features).
    resolvers: Mapping[str, Callable[[TurnContext], list[Any]]] = field(default_factory=dict)
    input_signals: list[Signal] = field(default_factory=list)
    input_decision: Decision = field(default_factory=Decision)
    output_signals: list[Signal] = field(default_factory=list)
    output_decision: Decision = field(default_factory=Decision)
    events: list[Event] = field(default_factory=list)
    steer_notes: list[str] = field(default_factory=list)
    reply_suffix: list[str] = field(default_factory=list)
    replacement: str | None = None
    notifications: list[Notification] = field(default_factory=list)
    #: Free-form facts duties leave for each other (e.g. a dependency score).
    facts: dict[str, Any] = field(default_factory=dict)

    def emit(self, event: Event) -> None:
        """Add an event for the client, once per kind and message."""
        if all((e.kind, e.message) != (event.kind, event.message) for e in self.events):
            self.events.append(event)


@dataclass(slots=True)
class TurnResult:
    """What the client gets back: the reply and the ``guard`` metadata."""

    turn_id: str
    persona_id: str
    reply: str
    action: str
    events: list[Event]
    input_signals: list[Signal]
    output_signals: list[Signal]
    rules: list[dict[str, Any]]
    created: datetime

    def guard_json(self) -> dict[str, Any]:
        """The ``guard`` object beside the OpenAI fields."""
        return {
            "turn_id": self.turn_id,
            "events": [e.to_dict() for e in self.events],
            "decision": {
                "action": self.action,
                "signals": [s.to_dict() for s in self.input_signals + self.output_signals],
                "rules": self.rules,
            },
        }
