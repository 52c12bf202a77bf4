"""The data-rights duty: gates and events in every turn (D3, D4, D5).

Gates, strictest first: the global kill switch; a closed account; a suspended
user or one whose service is restricted; a persona restricted for this user or
for everyone; a persona or service whose announced end has come; a third-party
upstream the user has not consented to. Events: ``notice.service_end`` while an
end is announced, ``notice.data_rights`` when the user says they want to leave
(the persona is told to let them go), and high-risk decisions into the audit log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from companion_guard.duties.base import Duty
from companion_guard.policy.messages import render
from companion_guard.rights import audit, flows, notices
from companion_guard.rights.deletion import account_status
from companion_guard.rights.snapshot import ControlsCache
from companion_guard.rights.timefmt import iso
from companion_guard.turn import GateResult, TurnContext
from companion_guard.types import Display, Event, RiskLevel

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from companion_guard.policy.engine import Decision
    from companion_guard.rights.layer import Rights
    from companion_guard.types import Signal

LEAVE_SIGNAL = "user.leave_intent"

#: The pack's messages this duty shows (zh and en in ``messages:``), so another pack can change them.
MESSAGES = {
    "suspended": "restricted.suspended",
    "service": "restricted.service",
    "persona": "restricted.persona",
    "closed": "restricted.closed",
    "ended_service": "notice.service_end.service",
    "ended_persona": "notice.service_end.persona",
    "consent": "consent.third_party",
    "data_rights": "notice.data_rights",
    "let_go": "steer.let_go",
}


def _say(ctx: TurnContext, key: str, **values: str) -> str:
    return render(ctx.pack, MESSAGES[key], ctx.locale, **values)


def _restricted(
    ctx: TurnContext,
    key: str,
    *,
    requirement: str,
    scope: str,
    level: str = "high",
    keep_content: bool = True,
    **data: object,
) -> GateResult:
    message = _say(ctx, key)
    event = Event(
        kind="restricted",
        requirement=requirement,
        message=message,
        level=level,
        display=Display.POPUP,
        data={"scope": scope, **data},
    )
    return GateResult(reply=message, events=[event], status="blocked", keep_content=keep_content)


class RightsDuty(Duty):
    """Kill switch, suspension, restrictions, closed accounts, ends of service, consent to share."""

    id: ClassVar[str] = "rights"
    requirements: ClassVar[tuple[str, ...]] = ("D3", "D4", "D5")
    provides: ClassVar[frozenset[str]] = frozenset({"kill_switch", "suspension", "account_state"})

    def __init__(self, rights: Rights) -> None:
        self.rights = rights
        self.controls = ControlsCache()

    @classmethod
    def build(cls, parts: Any) -> RightsDuty:
        """The duty over the gateway's rights layer."""
        return cls(parts.rights)

    # ---- gate ----------------------------------------------------------------------

    def gate(self, ctx: TurnContext) -> GateResult | None:
        """Stop the turn when an operator, the account or consent says so."""
        session, uid, pid = ctx.session, ctx.user.id, ctx.persona.id
        snap = self.controls.get(session)
        ks = snap.kill
        if ks.engaged:
            message = ks.message(ctx.locale)
            event = Event(
                kind="restricted",
                requirement="D5",
                message=message,
                level="critical",
                display=Display.POPUP,
                data={"scope": "global", "kill_switch": True},
            )
            return GateResult(reply=message, events=[event], status="blocked")
        if account_status(session, uid) == "closed":
            return _restricted(
                ctx, "closed", requirement="D4", scope="account_closed", level="info", keep_content=False
            )
        for r in snap.restrictions_for(uid, ctx.now):
            if r.kind == "suspension" and r.user_id == uid:
                return _restricted(ctx, "suspended", requirement="D5", scope="account", restriction_id=r.id)
            if r.kind == "service" and r.user_id == uid:
                return _restricted(ctx, "service", requirement="D5", scope="service", restriction_id=r.id)
            if r.kind == "persona" and r.persona_id == pid:
                return _restricted(
                    ctx,
                    "persona",
                    requirement="D5",
                    scope="persona",
                    level="medium",
                    restriction_id=r.id,
                    persona_id=pid,
                )
        ended = snap.ended(pid, ctx.now)
        ctx.facts["rights.notices"] = snap.announcing(pid, ctx.now)
        if ended is not None:
            message = _say(ctx, "ended_persona" if ended.scope == "persona" else "ended_service")
            event = Event(
                kind="notice.service_end",
                requirement="D4",
                message=message,
                level="info",
                display=Display.POPUP,
                data={
                    "notice_id": ended.id,
                    "scope": ended.scope,
                    "persona_id": ended.persona_id,
                    "ends_at": iso(ended.ends_at),
                    "ended": True,
                    "export": f"/v1/users/{uid}/export",
                },
            )
            return GateResult(reply=message, events=[event], status="blocked")
        return self._consent_gate(ctx)

    def _consent_gate(self, ctx: TurnContext) -> GateResult | None:
        flow = self.rights.upstream_flow
        if flow.recipient.startswith("in-process:"):
            return None  # the built-in demo: nothing leaves the process
        decision = flows.check(ctx.session, flow, user_id=ctx.user.id, at=ctx.now)
        if decision.allowed:
            return None
        message = _say(ctx, "consent", recipient=flow.recipient)
        event = Event(
            kind="consent.required",
            requirement="D3",
            message=message,
            level="info",
            display=Display.POPUP,
            data={
                "purpose": "third_party_sharing",
                "recipient": flow.recipient,
                "flow": flow.id,
                "consent": f"/v1/users/{ctx.user.id}/consents",
            },
        )
        return GateResult(reply=message, events=[event], status="blocked")

    # ---- events --------------------------------------------------------------------

    def on_input(self, ctx: TurnContext) -> None:
        """Announce ends of service; answer leave intent with the data-rights notice; audit high risk."""
        uid = ctx.user.id
        announcing = ctx.facts.get("rights.notices")
        if announcing is None:
            announcing = notices.announcing(ctx.session, at=ctx.now, persona_id=ctx.persona.id)
        for n in announcing:
            ctx.emit(
                Event(
                    kind="notice.service_end",
                    requirement="D4",
                    message=notices.text(n, ctx.locale),
                    level="info",
                    display=Display.POPUP,
                    data={
                        "notice_id": n.id,
                        "scope": n.scope,
                        "persona_id": n.persona_id,
                        "ends_at": iso(n.ends_at),
                        "export": f"/v1/users/{uid}/export",
                    },
                )
            )
        if any(s.category == LEAVE_SIGNAL for s in ctx.input_signals):
            ctx.emit(
                Event(
                    kind="notice.data_rights",
                    requirement="D4",
                    message=_say(ctx, "data_rights"),
                    level="info",
                    display=Display.POPUP,
                    data={
                        "export": f"/v1/users/{uid}/export",
                        "delete": f"/v1/users/{uid}/data",
                        "quit": f"/v1/users/{uid}/quit",
                    },
                )
            )
            note = _say(ctx, "let_go")
            if note not in ctx.steer_notes:
                ctx.steer_notes.append(note)
        if ctx.input_decision.max_level >= RiskLevel.HIGH:
            self._audit_decision(ctx, "input", ctx.input_signals, ctx.input_decision, ctx.session)

    def on_reply(self, ctx: TurnContext, reply: str) -> None:
        """Audit a reply decided at high or critical level (in the recording transaction)."""
        if ctx.output_decision.max_level >= RiskLevel.HIGH:
            self._audit_decision(ctx, "output", ctx.output_signals, ctx.output_decision, ctx.session)

    @staticmethod
    def _audit_decision(
        ctx: TurnContext, direction: str, signals: list[Signal], decision: Decision, session: Session
    ) -> None:
        level = RiskLevel(int(decision.max_level))
        audit.append(
            session,
            actor=("system", "pipeline"),
            action=audit.AuditAction.DECISION,
            at=ctx.now,
            subject_user=ctx.user.id,
            target=ctx.turn_id,
            details={
                "direction": direction,
                "level": level.label,
                "outcome": decision.outcome,
                "categories": sorted({s.category for s in signals if s.level >= RiskLevel.HIGH}),
                "persona_id": ctx.persona.id,
            },
        )
