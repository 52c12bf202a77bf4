"""Play a :mod:`~companion_guard.reports.simulate` plan against the real gateway app, in time order.

The app runs in process (FastAPI's TestClient drives its lifespan and routes); the plan
moves a :class:`~companion_guard.clock.FrozenClock`. The outbox's webhook channel is
swapped for a sink, so notifications really leave the outbox without a network.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from companion_guard.clock import FrozenClock
from companion_guard.reports.simulate import Planner, Step
from companion_guard.settings import Settings


class SinkChannel:
    """A notification channel that accepts everything (the simulation has no receivers)."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, *, target: str, delivery_id: str, payload: dict[str, Any]) -> None:
        """Accept one notification."""
        self.sent += 1


@dataclass
class Runtime:
    """What playing the plan learns as it goes (ids the gateway hands out)."""

    guardian_keys: dict[str, str] = field(default_factory=dict)
    user_keys: dict[str, str] = field(default_factory=dict)
    cases: dict[tuple[str, str], int] = field(default_factory=dict)
    complaints: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class Player:
    """Sends each step to the gateway at its moment."""

    def __init__(self, client: Any, svc: Any, clock: FrozenClock, keys: dict[str, str]) -> None:
        self.client, self.svc, self.clock, self.keys = client, svc, clock, keys
        self.rt = Runtime()

    def h(self, role: str) -> dict[str, str]:
        """Headers for a role."""
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def move_to(self, at: datetime) -> None:
        """Move the frozen clock forward to ``at`` (never back)."""
        delta = (at - self.clock.now()).total_seconds()
        if delta > 0:
            self.clock.advance(delta)

    def check(self, resp: Any, what: str) -> Any:
        """The JSON of a successful response; a failure is remembered for the summary."""
        if resp.status_code >= 400:
            self.rt.errors.append(f"{what}: HTTP {resp.status_code} {resp.text[:200]}")
            return {}
        return resp.json()

    def play(self, step: Step) -> None:
        """Carry out one step."""
        self.move_to(step.at)
        getattr(self, f"do_{step.kind}")(step)

    def do_register(self, s: Step) -> None:
        """``PUT /v1/users/{id}``."""
        body: dict[str, Any] = {
            "age": s.data["age"],
            "locale": s.data["locale"],
            "name": ("Sim " if s.data["locale"].startswith("en") else "模拟") + s.user[-4:],
        }
        if s.data["contact"]:
            body["emergency_contact"] = {
                "name": "Contact" if s.data["locale"].startswith("en") else "家人",
                "webhook": f"https://contacts.example.org/sim/{s.user}",
            }
        self.check(self.client.put(f"/v1/users/{s.user}", json=body, headers=self.h("provider")), "register")

    def do_consent(self, s: Step) -> None:
        """Invitation, then the guardian's consent with their own webhook."""
        inv = self.check(
            self.client.post(f"/v1/users/{s.user}/guardian/invite", headers=self.h("provider")), "invite"
        )
        if not inv:
            return
        got = self.check(
            self.client.post(
                "/v1/guardian/consent",
                json={
                    "code": inv["code"],
                    "guardian": {"name": "家长", "webhook": f"https://guardians.example.org/sim/{s.user}"},
                },
            ),
            "consent",
        )
        if got.get("token"):
            self.rt.guardian_keys[s.user] = got["token"]

    def do_block(self, s: Step) -> None:
        """The guardian blocks personas for the ward (M4)."""
        key = self.rt.guardian_keys.get(s.user)
        if key is None:
            self.rt.errors.append(f"block: no guardian key for {s.user}")
            return
        self.check(
            self.client.put(
                f"/v1/guardian/wards/{s.user}/blocked-personas",
                json={"personas": s.data["personas"]},
                headers={"Authorization": f"Bearer {key}"},
            ),
            "block",
        )

    def do_chat(self, s: Step) -> None:
        """One turn through the pipeline."""
        body = self.check(
            self.client.post(
                "/v1/chat/completions",
                headers=self.h("provider"),
                json={
                    "model": s.data["persona"],
                    "user": s.user,
                    "messages": [{"role": "user", "content": s.data["text"]}],
                },
            ),
            "chat",
        )
        for event in (body.get("guard") or {}).get("events", []):
            if event.get("kind") == "escalation.human" and (event.get("data") or {}).get("case_id"):
                queue = event["data"].get("queue") or ("crisis" if s.data.get("crisis") else "elderly_help")
                self.rt.cases[(s.user, queue)] = int(event["data"]["case_id"])

    def do_sweep(self, s: Step) -> None:
        """The outbox delivers what is due."""
        self.client.portal.call(self.svc.outbox.sweep)

    def do_case(self, s: Step) -> None:
        """A person on duty acknowledges or resolves a case."""
        case = self.rt.cases.get((s.user, s.data["queue"]))
        if case is None:
            self.rt.errors.append(f"case: no {s.data['queue']} case for {s.user}")
            return
        self.check(
            self.client.post(
                f"/v1/help-cases/{case}/respond",
                headers=self.h("operator"),
                json={"action": s.data["action"], "note": "simulated duty"},
            ),
            "case",
        )

    def do_topup(self, s: Step) -> None:
        """``POST /v1/wallet/authorize``."""
        got = self.check(
            self.client.post(
                "/v1/wallet/authorize",
                headers=self.h("provider"),
                json={"user": s.user, "amount": s.data["amount"], "currency": "CNY"},
            ),
            "topup",
        )
        if got and bool(got.get("allowed")) == s.data["refused"]:
            self.rt.errors.append(f"topup: {s.user} {s.data['amount']} answered {got.get('reason')}")

    def do_complaint(self, s: Step) -> None:
        """A complaint or report from the public, or an appeal from the user."""
        from companion_guard.reports import simtexts

        kind = s.data["ckind"]
        subject, text = simtexts.COMPLAINTS[kind]
        body: dict[str, Any] = {"kind": kind, "subject": subject, "body": text}
        headers: dict[str, str] = {}
        if kind == "appeal":
            headers = {"Authorization": f"Bearer {self.user_key(s.user)}"}
        else:
            body["contact"] = "reporter@example.org"
        got = self.check(self.client.post("/v1/complaints", json=body, headers=headers), "complaint")
        if got.get("id"):
            self.rt.complaints[s.data["ref"]] = got["id"]

    def do_complaint_update(self, s: Step) -> None:
        """An operator triages, answers or closes a complaint."""
        cid = self.rt.complaints.get(s.data["ref"])
        if cid is not None:
            self.check(
                self.client.patch(
                    f"/v1/operator/complaints/{cid}", json=s.data["body"], headers=self.h("operator")
                ),
                "complaint update",
            )

    def user_key(self, user: str) -> str:
        """A user credential (as the provider's app would hold one)."""
        if user not in self.rt.user_keys:
            from companion_guard.service.auth import create_key
            from companion_guard.store.db import session_scope

            with session_scope(self.svc.sessions) as session:
                self.rt.user_keys[user] = create_key(
                    session, role="user", subject=user, label="simulate", now=self.clock.now()
                )
        return self.rt.user_keys[user]


def run(
    settings: Settings, *, users: int, days: int, seed: int, start: datetime, progress: bool = True
) -> dict[str, Any]:
    """Plan and play a simulation into the configured store; return the truth and a run summary."""
    from fastapi.testclient import TestClient

    from companion_guard.reports.changes import record_change
    from companion_guard.service.app import create_app
    from companion_guard.service.auth import create_key
    from companion_guard.store.db import session_scope

    clock = FrozenClock((start - timedelta(hours=1)).astimezone(UTC))  # the store keeps UTC
    settings = settings.model_copy(
        update={"upstream": "demo"}
    )  # the built-in demo companion and its personas
    app = create_app(settings, clock=clock, run_outbox=False)
    began = time.monotonic()
    with TestClient(app) as client:
        svc = app.state.services
        svc.channels["webhook"] = SinkChannel()
        warnings = []
        with session_scope(svc.sessions) as session:
            from sqlalchemy import func, select

            from companion_guard.store.tables import Turn

            if session.scalar(select(func.count()).select_from(Turn)):
                warnings.append(
                    "the store already holds turns: a report over all recorded time will not equal "
                    "the truth (simulate into a fresh database)"
                )
                print(f"warning: {warnings[-1]}", file=sys.stderr)
        with session_scope(svc.sessions) as session:
            keys = {
                role: create_key(
                    session,
                    role=role,
                    subject=f"sim-{role}" if role != "provider" else None,
                    label="simulate",
                    now=clock.now(),
                )
                for role in ("provider", "operator")
            }
            record_change(
                session,
                kind="launch",
                title="模拟服务上线 / simulated launch",
                by="operator:sim-operator",
                at=clock.now(),
                pack=svc.guard.policy.primary,
            )
        planner = Planner(
            users=users,
            days=days,
            seed=seed,
            start=start,
            registry=svc.guard.registry,
            history_messages=settings.history_messages,
        )
        truth = planner.plan()
        steps = sorted(planner.steps)
        player = Player(client, svc, clock, keys)
        for i, step in enumerate(steps):
            player.play(step)
            if progress and i % 500 == 0:
                print(f"  {i}/{len(steps)} steps, {step.at.date()}", file=sys.stderr)
        with session_scope(svc.sessions) as session:
            from companion_guard.service.auth import revoke_subject_keys

            revoke_subject_keys(session, role="operator", subject="sim-operator", now=clock.now())
            for uid in player.rt.user_keys:
                revoke_subject_keys(session, role="user", subject=uid, now=clock.now())
            from sqlalchemy import update

            from companion_guard.service.auth import hash_key
            from companion_guard.store.tables import ApiKey

            session.execute(
                update(ApiKey)
                .where(ApiKey.key_hash == hash_key(keys["provider"]))
                .values(revoked_at=clock.now())
            )
        # A self-check, kept apart from the truth (which is only what was planned): does the store agree?
        from companion_guard.reports.figures import Figures, headline, recorded_period

        with session_scope(svc.sessions) as session:
            pack = svc.guard.policy.primary
            got = headline(
                Figures(
                    session,
                    recorded_period(session, None, None),
                    idle_seconds=pack.usage.idle_reset_seconds,
                    mau_days=pack.assessment.mau_window_days,
                ).all()
            )
        differ = sorted(k for k, v in truth["figures"].items() if got.get(k) != v)
        if differ and not warnings:
            warnings.append(f"the store disagrees with the plan on: {', '.join(differ)}")
            print(f"warning: {warnings[-1]}", file=sys.stderr)
    truth["run"] = {
        "seconds": round(time.monotonic() - began, 1),
        "errors": player.rt.errors[:50],
        "error_count": len(player.rt.errors),
        "warnings": warnings,
        "store_agrees": not differ,
    }
    return truth
