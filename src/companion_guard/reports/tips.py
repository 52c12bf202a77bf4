"""X2: safety tips — healthy use, "this is an AI", how to get help, the user's data rights.

Shown once per user, on their first turn that reaches the companion, as a
``notice.safety_tips`` event (the duty below), and on request (``GET /v1/safety-tips``).
The texts are the pack's messages ``safety_tips.*`` in the user's language.
"""

from __future__ import annotations

from typing import Any, ClassVar

from companion_guard.duties.base import Duty
from companion_guard.policy.messages import help_text, language, render
from companion_guard.policy.schema import PolicyPack
from companion_guard.store.tables_reports import SafetyTipsShown
from companion_guard.turn import TurnContext
from companion_guard.types import Display, Event

#: The tips, in the order they are shown.
TIP_IDS = ("safety_tips.ai", "safety_tips.healthy_use", "safety_tips.help", "safety_tips.data_rights")


def tips(pack: PolicyPack, locale: str) -> dict[str, Any]:
    """The title and the tips in the user's language, with the help lines of their locale."""
    help_lines = help_text(pack, locale)
    items = [
        {
            "id": tid.split(".", 1)[1],
            "text": render(pack, tid, locale, **({"help": help_lines} if tid.endswith("help") else {})),
        }
        for tid in TIP_IDS
        if tid in pack.messages
    ]
    return {
        "title": render(pack, "safety_tips.title", locale),
        "language": language(locale),
        "tips": items,
        "requirement": "X2",
    }


class SafetyTipsDuty(Duty):
    """Emits ``notice.safety_tips`` once per user (a row remembers it)."""

    id: ClassVar[str] = "safety.tips"
    requirements: ClassVar[tuple[str, ...]] = ("X2",)

    def on_input(self, ctx: TurnContext) -> None:
        """On the user's first turn past the gates, show the tips."""
        if "safety_tips.title" not in ctx.pack.messages:
            return
        if ctx.session.get(SafetyTipsShown, ctx.user.id) is not None:
            return
        ctx.session.add(
            SafetyTipsShown(user_id=ctx.user.id, shown_at=ctx.now.replace(tzinfo=None), locale=ctx.locale)
        )
        body = tips(ctx.pack, ctx.locale)
        message = body["title"] + "\n" + "\n".join(f"• {t['text']}" for t in body["tips"])
        ctx.emit(
            Event(
                kind="notice.safety_tips",
                requirement="X2",
                message=message,
                level="info",
                display=Display.POPUP,
                data={"tips": body["tips"], "title": body["title"], "more": "/v1/safety-tips"},
            )
        )
