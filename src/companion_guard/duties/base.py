"""A duty: one obligation that hooks into the pipeline's stages.

Subclass :class:`Duty` and override the stages you need; register the class in
:data:`companion_guard.duties.DEFAULT_DUTIES`. Stages run in list order:

1. ``load``   — enrich the context from stored facts (age band, modes).
2. ``gate``   — may stop the turn (suspended, no consent, blocked persona, quiet hours).
3. ``on_input`` — after the user's text was inspected and decided: reminders, events.
4. ``on_reply`` — after the reply was inspected and decided, before it is recorded.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from companion_guard.turn import GateResult, TurnContext


class Duty:
    """Base class; every stage is a no-op by default."""

    id: ClassVar[str] = ""
    requirements: ClassVar[tuple[str, ...]] = ()
    #: Protections this duty's gate gives (e.g. ``kill_switch``); a ``Guard`` refuses duties lacking any
    #: of :data:`REQUIRED_PROTECTIONS`, so a hand-built pipeline cannot silently drop one.
    provides: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def build(cls, parts: Any) -> Self:
        """Construct from the gateway's :class:`~companion_guard.assembly.Parts` (default: no arguments)."""
        return cls()

    def load(self, ctx: TurnContext) -> None:
        """Enrich the context before gates run."""

    def gate(self, ctx: TurnContext) -> GateResult | None:
        """Return a result to stop the turn, or ``None`` to let it through."""
        return None

    def on_input(self, ctx: TurnContext) -> None:
        """React to the inspected user input."""

    def on_reply(self, ctx: TurnContext, reply: str) -> None:
        """React to the inspected reply (``ctx.output_decision`` is set)."""


#: What every pipeline's duties must give: a turn without them could reach a suspended user, run
#: with the kill switch engaged, skip a minor's mode or the consent a child's data needs.
REQUIRED_PROTECTIONS = frozenset({"kill_switch", "suspension", "minor_mode", "consent"})
