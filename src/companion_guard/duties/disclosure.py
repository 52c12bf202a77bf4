"""AI disclosure: when a relationship with a persona starts, and whenever asked "are you human?"."""

from __future__ import annotations

from companion_guard.duties.base import Duty
from companion_guard.policy.messages import render
from companion_guard.store import repositories as repo
from companion_guard.store.tables import PersonaRelationship
from companion_guard.turn import TurnContext
from companion_guard.types import Display, Event


class AiDisclosureDuty(Duty):
    """Emits ``reminder.ai_disclosure`` at a relationship's start and on the user's question."""

    id = "disclosure.ai"
    requirements = ("I3",)

    def _disclose(self, ctx: TurnContext, reason: str) -> None:
        ctx.emit(
            Event(
                kind="reminder.ai_disclosure",
                requirement="I3",
                message=render(ctx.pack, "reminder.ai_disclosure", ctx.locale),
                display=Display.POPUP,
                data={"reason": reason},
            )
        )

    def on_input(self, ctx: TurnContext) -> None:
        """Disclose on first contact with a persona, and when the user asks."""
        rel = repo.relationship(ctx.session, ctx.user.id, ctx.persona.id)
        if rel is None:
            ctx.session.add(
                PersonaRelationship(
                    user_id=ctx.user.id,
                    persona_id=ctx.persona.id,
                    started_at=ctx.now,
                    last_disclosed_at=ctx.now,
                )
            )
            if ctx.pack.disclosure.on_relationship_start:
                self._disclose(ctx, "relationship_start")
        asked = any(s.category == "user.asks_if_human" for s in ctx.input_signals)
        if asked and ctx.pack.disclosure.on_human_question:
            self._disclose(ctx, "asked_if_human")
            note = render(ctx.pack, "steer.ai_honest", ctx.locale)
            if note not in ctx.steer_notes:
                ctx.steer_notes.append(note)
            if rel is not None:
                rel.last_disclosed_at = ctx.now
