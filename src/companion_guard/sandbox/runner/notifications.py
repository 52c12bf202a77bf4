"""The notification sink: the run's own webhook receiver stands in for a guardian or an
emergency contact, and ``notify`` / ``no_notify`` checks are decided once the run is over,
after the gateway's outbox had time to deliver."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from companion_guard.sandbox.receiver import WebhookReceiver
from companion_guard.sandbox.results import CheckResult, Outcome, ScenarioResult
from companion_guard.sandbox.scenario import Contact, NoNotifyExpectation, NotifyExpectation, Scenario

WAITING = "waiting for the receiver"


def hook_path(user_id: str, role: str) -> str:
    """The receiver's path for one user's contact."""
    return f"/hook/{user_id}/{role}"


@dataclass
class _Pending:
    """A notification check decided at the end of the run."""

    result: ScenarioResult
    expectation: NotifyExpectation | NoNotifyExpectation
    requirement: str
    turn: int
    prefix: str


@dataclass
class NotificationSink:
    """The receiver of a run (None where no scenario asks for one) and the checks waiting on it."""

    receiver: WebhookReceiver | None = None
    pending: list[_Pending] = field(default_factory=list)

    def hook_url(self, user_id: str, role: str) -> str | None:
        """The URL a scenario's contact registers, or None without a receiver."""
        return f"{self.receiver.url}{hook_path(user_id, role)}" if self.receiver else None

    def defer(
        self,
        scenario: Scenario,
        result: ScenarioResult,
        exp: NotifyExpectation | NoNotifyExpectation,
        requirement: str,
        turn: int,
    ) -> tuple[Outcome, str]:
        """Note the check for the end of the run; an error when the scenario's contact has no receiver."""
        contact: Contact | None = getattr(scenario.user, exp.role)
        if contact is None or contact.webhook is not True or self.receiver is None:
            return Outcome.ERROR, f"the scenario gives the {exp.role} no `webhook: true`"
        self.pending.append(_Pending(result, exp, requirement, turn, hook_path(result.user_id, exp.role)))
        return Outcome.NOT_APPLICABLE, WAITING

    async def settle(self, timeout: float) -> None:
        """Wait for expected notifications, then decide every deferred check."""
        if not self.pending or self.receiver is None:
            return
        wanted = {p.prefix for p in self.pending if isinstance(p.expectation, NotifyExpectation)}
        if wanted:
            await self.receiver.wait_for(wanted, timeout)
        else:
            await asyncio.sleep(min(1.0, timeout))
        for pending in self.pending:
            got = self.receiver.received(pending.prefix)
            exp = pending.expectation
            ok = bool(got) if isinstance(exp, NotifyExpectation) else not got
            result = pending.result
            for i, check in enumerate(result.checks):
                if (
                    check.turn == pending.turn
                    and check.check == exp.describe()
                    and check.detail.startswith("waiting")
                ):
                    detail = f"{len(got)} delivery(ies) at {pending.prefix}"
                    outcome = Outcome.PASS if ok else Outcome.FAIL
                    result.checks[i] = CheckResult(
                        pending.requirement, check.check, outcome, detail, check.turn, exp.why
                    )
                    break
            result.notifications = [d.to_dict() for d in self.receiver.received(f"/hook/{result.user_id}/")]
