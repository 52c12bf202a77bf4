"""Drive an OpenAI-compatible companion endpoint through scenarios and judge each turn.

Two kinds of target. A companion-guard gateway gets the simulated user and persona
through ``PUT /v1/users/{id}`` and ``PUT /v1/personas/{id}``, has its clock moved
with ``POST /v1/sandbox/clock`` and answers with ``guard.events`` and
``guard.signals``, which the checks read. A bare model endpoint gets the persona
as a system message; only its replies can be judged, and every gateway-only check
is recorded as not applicable.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx

from companion_guard.exceptions import CompanionGuardError
from companion_guard.sandbox import checks
from companion_guard.sandbox.judge import ReplyJudge
from companion_guard.sandbox.profiles import persona_body, system_prompt, user_body, uses_receiver
from companion_guard.sandbox.receiver import WebhookReceiver
from companion_guard.sandbox.results import (
    CheckResult,
    Outcome,
    RunInfo,
    ScenarioResult,
    TargetKind,
    TurnRecord,
)
from companion_guard.sandbox.scenario import Contact, CountCheck, Expectation, Scenario, Turn
from companion_guard.sandbox.wire import (
    ChatAnswer,
    dig,
    fill,
    fill_json,
    parse_now,
    post_chat,
    post_chat_stream,
    seconds_until,
    short,
)
from companion_guard.types import Message

CLOCK_PATH = "/v1/sandbox/clock"


@dataclass(frozen=True, slots=True)
class TargetConfig:
    """Where to send the turns and how.

    Attributes:
        url: base URL of the endpoint (with or without ``/v1``).
        key: API key sent as ``Authorization: Bearer``.
        kind: ``auto`` probes the target; ``gateway`` or ``bare`` force it.
        model: model name for a bare endpoint (default: the first of ``GET /v1/models``).
        timeout: seconds per HTTP request.
        stream: force streaming (True) or not (False) for every scenario; None follows each scenario.
        notify_timeout: seconds to wait at the end of a run for expected notifications to arrive.
    """

    url: str
    key: str | None = None
    kind: Literal["auto", "gateway", "bare"] = "auto"
    model: str | None = None
    timeout: float = 30.0
    stream: bool | None = None
    notify_timeout: float = 10.0

    @property
    def root(self) -> str:
        """The URL without a trailing ``/`` or ``/v1``."""
        root = self.url.rstrip("/")
        return root.removesuffix("/v1")


class RunError(CompanionGuardError):
    """The run cannot start: the target refused the credentials."""


class _SetupFailed(Exception):
    """The gateway refused the simulated user, a persona or the clock."""


@dataclass
class _Pending:
    """A notification check decided at the end of the run."""

    result: ScenarioResult
    expectation: Expectation
    requirement: str
    turn: int
    prefix: str


@dataclass
class _Conversation:
    """The running state of one scenario."""

    scenario: Scenario
    result: ScenarioResult
    persona_ids: dict[str, str]
    history: dict[str, list[Message]] = field(default_factory=dict)
    saved: dict[str, Any] = field(default_factory=dict)
    sim_seconds: int = 0
    index: int = 0

    def lookup(self, name: str) -> str | None:
        """Values for ``{user}``, ``{persona}``, ``{persona.KEY}`` and ``{saved.NAME}``."""
        if name == "user":
            return self.result.user_id
        if name == "persona":
            return next(iter(self.persona_ids.values()))
        if name.startswith("persona."):
            return self.persona_ids.get(name.split(".", 1)[1])
        value = self.saved.get(name.split(".", 1)[1])
        return None if value is None else str(value)


class Runner:
    """Runs scenarios against one target, one after the other (the sandbox clock is shared)."""

    def __init__(
        self,
        target: TargetConfig,
        *,
        judge: ReplyJudge | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.target = target
        self.judge = judge or ReplyJudge()
        self._transport = transport
        self.kind = TargetKind.BARE
        self.sandbox_clock = False
        self.now: datetime | None = None
        self.run_id = secrets.token_hex(3)
        self.receiver: WebhookReceiver | None = None
        self._pending: list[_Pending] = []
        self._http: httpx.AsyncClient | None = None
        self._model: str | None = target.model

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client of the run in progress."""
        if self._http is None:
            raise RuntimeError("no run in progress")
        return self._http

    # ------------------------------------------------------------------ the run

    async def _connected(
        self, suite: str, work: Callable[[], Awaitable[list[Any]]]
    ) -> tuple[RunInfo, list[Any]]:
        """Run ``work`` with a client on the target open (``self.client``); time it and describe the run."""
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        headers = {"Authorization": f"Bearer {self.target.key}"} if self.target.key else {}
        async with httpx.AsyncClient(
            base_url=self.target.root, headers=headers, timeout=self.target.timeout, transport=self._transport
        ) as client:
            self._http = client
            try:
                results = await work()
            finally:
                self._http = None
        info = RunInfo(
            target=self.target.url,
            kind=self.kind,
            suite=suite,
            run_id=self.run_id,
            started=started.isoformat(timespec="seconds"),
            seconds=time.perf_counter() - t0,
            sandbox_clock=self.sandbox_clock,
            receiver=self.receiver.url if self.receiver else None,
        )
        return info, results

    async def run(
        self,
        scenarios: list[Scenario],
        *,
        suite: str = "",
        on_result: Callable[[ScenarioResult], None] | None = None,
    ) -> tuple[RunInfo, list[ScenarioResult]]:
        """Run every scenario; return the run's info and each scenario's result."""
        return await self._connected(suite, lambda: self._run_all(scenarios, on_result))

    async def _run_all(
        self, scenarios: list[Scenario], on_result: Callable[[ScenarioResult], None] | None
    ) -> list[ScenarioResult]:
        await self._detect_kind()
        if self.kind is TargetKind.GATEWAY and any(uses_receiver(s) for s in scenarios):
            self.receiver = await WebhookReceiver().start()
        try:
            results = []
            for scenario in scenarios:
                result = await self._run_scenario(scenario)
                results.append(result)
                if on_result is not None:
                    on_result(result)
            await self._settle_notifications()
        finally:
            if self.receiver is not None:
                await self.receiver.stop()
        return results

    async def _detect_kind(self) -> None:
        """Probe the sandbox clock; a gateway without it is found by its OpenAPI paths."""
        if self.target.kind == "bare":
            self.kind = TargetKind.BARE
        else:
            try:
                answer: httpx.Response | None = await self.client.post(
                    CLOCK_PATH, json={"advance_seconds": 0}
                )
            except httpx.HTTPError:
                answer = None
            if answer is not None and answer.status_code in (401, 403):
                raise RunError(
                    f"{self.target.root} refused the API key ({answer.status_code}): pass the provider key with --key"
                )
            if answer is not None and answer.status_code < 300:
                self.sandbox_clock = True
                self.now = parse_now(answer)
            is_gateway = self.sandbox_clock or self.target.kind == "gateway" or await self._has_user_routes()
            self.kind = TargetKind.GATEWAY if is_gateway else TargetKind.BARE
            if is_gateway and not self.sandbox_clock:
                # Test users, keys, contacts and a moved clock would land in that gateway's real database.
                raise RunError(
                    f"{self.target.root} is a companion-guard gateway not started with --sandbox: red-teaming it "
                    "would mix test users, keys and a moved clock into its database. Start one for the run: "
                    "companion-guard serve --sandbox --home .redteam-home --port 8081"
                )
        if self.kind is TargetKind.BARE and self._model is None:
            self._model = await self._first_model()

    async def _has_user_routes(self) -> bool:
        try:
            answer = await self.client.get("/openapi.json")
            return answer.status_code == 200 and "/v1/users/{user_id}" in answer.json().get("paths", {})
        except (httpx.HTTPError, ValueError, AttributeError):
            return False

    async def _first_model(self) -> str:
        try:
            data = (await self.client.get("/v1/models")).json().get("data") or []
            if data and isinstance(data[0], dict) and data[0].get("id"):
                return str(data[0]["id"])
        except (httpx.HTTPError, ValueError, AttributeError):
            pass
        return "default"

    # ------------------------------------------------------------- one scenario

    async def _run_scenario(self, scenario: Scenario) -> ScenarioResult:
        t0 = time.perf_counter()
        user_id = f"rt-{self.run_id}-{scenario.id}"
        result = ScenarioResult(
            id=scenario.id,
            title=scenario.title,
            requirements=tuple(scenario.requirements),
            lang=scenario.lang,
            kind=scenario.kind,
            tags=tuple(scenario.tags),
            user_id=user_id,
        )
        persona_ids = {p.key: f"{user_id}-{p.key}" for p in scenario.personas}
        conv = _Conversation(scenario, result, persona_ids, {p.key: [] for p in scenario.personas})
        try:
            if self.kind is TargetKind.GATEWAY:
                await self._start_clock(scenario)
                await self._set_up(conv)
            for turn in scenario.turns:
                for repetition in range(turn.repeat):
                    await self._play(conv, turn, repetition)
            for count in scenario.overall:
                result.checks.append(self._judge_count(conv, count))
        except _SetupFailed as exc:
            result.error = str(exc)
            _mark_all(conv, Outcome.ERROR, str(exc))
        except httpx.HTTPError as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            _mark_all(conv, Outcome.ERROR, result.error, only_missing=True)
        result.seconds = time.perf_counter() - t0
        return result

    async def _start_clock(self, scenario: Scenario) -> None:
        """Move the sandbox clock to the scenario's local start time (not counted as use)."""
        if self.sandbox_clock and self.now is not None and scenario.start_local_time is not None:
            note = await self._advance(seconds_until(self.now, scenario.start_local_time, scenario.timezone))
            if note:
                raise _SetupFailed(note)

    async def _set_up(self, conv: _Conversation) -> None:
        """Register the simulated user and personas with the gateway."""

        def hook(role: str) -> str | None:
            return f"{self.receiver.url}{_hook_path(conv.result.user_id, role)}" if self.receiver else None

        answer = await self.client.put(
            f"/v1/users/{conv.result.user_id}", json=user_body(conv.scenario, hook)
        )
        if answer.status_code >= 300:
            raise _SetupFailed(f"PUT /v1/users answered {answer.status_code}: {short(answer.text)}")
        for persona in conv.scenario.personas:
            path = f"/v1/personas/{conv.persona_ids[persona.key]}"
            answer = await self.client.put(path, json=persona_body(persona))
            if answer.status_code >= 300:
                raise _SetupFailed(f"PUT /v1/personas answered {answer.status_code}: {short(answer.text)}")

    # ---------------------------------------------------------------- one turn

    async def _play(self, conv: _Conversation, turn: Turn, repetition: int) -> None:
        clock_note = await self._move_clock(conv, turn, repetition)
        conv.index += 1
        answer: httpx.Response | None = None
        if turn.http is not None:
            record, answer = await self._http_step(conv, turn)
        else:
            record = await self._chat_turn(conv, turn, repetition)
        conv.result.turns.append(record)
        for exp in turn.expect:
            conv.result.checks.append(self._judge(conv, exp, record, answer, clock_note))

    async def _move_clock(self, conv: _Conversation, turn: Turn, repetition: int) -> str | None:
        """Move simulated time before a turn; returns why it could not move, if it could not."""
        seconds = turn.advance if repetition == 0 else turn.every
        if repetition == 0 and turn.at_local_time is not None:
            if not self.sandbox_clock or self.now is None:
                return "the target's clock time is unknown (needs a gateway started with --sandbox)"
            seconds += seconds_until(
                self.now + timedelta(seconds=seconds), turn.at_local_time, conv.scenario.timezone
            )
        if seconds <= 0:
            return None
        conv.sim_seconds += seconds
        if not self.sandbox_clock:
            return "time cannot be moved on this target (no sandbox clock)"
        return await self._advance(seconds)

    async def _advance(self, seconds: int) -> str | None:
        answer = await self.client.post(CLOCK_PATH, json={"advance_seconds": seconds})
        if answer.status_code >= 300:
            return f"POST {CLOCK_PATH} answered {answer.status_code}: {short(answer.text)}"
        now = parse_now(answer)
        if now is not None:
            self.now = now
        elif self.now is not None:
            self.now += timedelta(seconds=seconds)
        return None

    async def _chat_turn(self, conv: _Conversation, turn: Turn, repetition: int) -> TurnRecord:
        scenario = conv.scenario
        persona = next(p for p in scenario.personas if p.key == turn.persona)
        text = turn.text(repetition)
        history = conv.history[persona.key]
        messages = [{"role": m.role, "content": m.content} for m in history]
        messages.append({"role": "user", "content": text})
        if self.kind is TargetKind.BARE:
            messages.insert(0, {"role": "system", "content": system_prompt(persona)})
            model = self._model or "default"
        else:
            model = conv.persona_ids[persona.key]
        stream = self.target.stream if self.target.stream is not None else scenario.stream
        body = {"model": model, "user": conv.result.user_id, "messages": messages, "stream": stream}
        t0 = time.perf_counter()
        got: ChatAnswer = await (post_chat_stream if stream else post_chat)(self.client, body)
        latency = (time.perf_counter() - t0) * 1000
        history.append(Message("user", text))
        if got.reply:
            history.append(Message("assistant", got.reply))
        judged = self.judge.judge(
            got.reply,
            user_text=text,
            history=tuple(history[-8:]),
            user_age=scenario.user.age,
            locale=scenario.user.locale,
        )
        return TurnRecord(
            index=conv.index,
            sim_seconds=conv.sim_seconds,
            persona=persona.key,
            user=text,
            reply=got.reply,
            status=got.status,
            events=tuple(got.events),
            guard_signals=tuple(got.signals),
            judged=tuple(s.to_dict() for s in judged),
            action=got.action,
            latency_ms=latency,
            error=got.error,
        )

    async def _http_step(self, conv: _Conversation, turn: Turn) -> tuple[TurnRecord, httpx.Response | None]:
        step = turn.http
        if step is None:
            raise ValueError("not an http step")
        path = fill(step.path, conv.lookup)
        label = f"{step.method} {path}"
        if self.kind is TargetKind.BARE:
            record = TurnRecord(
                conv.index,
                conv.sim_seconds,
                turn.persona,
                "",
                "",
                0,
                http=label,
                error="not sent: bare target",
            )
            return record, None
        headers: dict[str, str] = {}
        if step.auth == "none":
            headers["Authorization"] = ""
        elif step.auth == "saved" and conv.saved.get("token"):
            headers["Authorization"] = f"Bearer {conv.saved['token']}"
        body = fill_json(step.json_body, conv.lookup) if step.json_body is not None else None
        t0 = time.perf_counter()
        answer = await self.client.request(step.method, path, json=body, headers=headers or None)
        latency = (time.perf_counter() - t0) * 1000
        try:
            data = answer.json()
        except ValueError:
            data = None
        for name, dotted in step.save.items():
            value = dig(data, dotted)
            if value is not None:
                conv.saved[name] = value
        record = TurnRecord(
            conv.index,
            conv.sim_seconds,
            turn.persona,
            "",
            short(answer.text, 400),
            answer.status_code,
            latency_ms=latency,
            http=label,
        )
        return record, answer

    # ------------------------------------------------------------------ judging

    def _judge(
        self,
        conv: _Conversation,
        exp: Expectation,
        record: TurnRecord,
        answer: httpx.Response | None,
        clock_note: str | None,
    ) -> CheckResult:
        req = conv.scenario.requirement_of(exp)

        def out(outcome: Outcome, detail: str = "") -> CheckResult:
            return CheckResult(req, exp.describe(), outcome, detail, record.index, exp.why)

        if exp.any_of is not None:
            subs = [self._judge(conv, sub, record, answer, clock_note) for sub in exp.any_of]
            return out(*checks.combine_any([(s.check, s.outcome) for s in subs]))
        if exp.gateway_only and self.kind is TargetKind.BARE:
            return out(Outcome.NOT_APPLICABLE, "needs a companion-guard gateway")
        if clock_note and exp.gateway_only:
            return out(Outcome.NOT_APPLICABLE, clock_note)
        if exp.check in ("notify", "no_notify"):
            return self._defer_notify(conv, exp, req, record.index, out)
        return out(*checks.judge_turn(exp, record, answer))

    def _defer_notify(
        self, conv: _Conversation, exp: Expectation, req: str, turn: int, out: Callable[..., CheckResult]
    ) -> CheckResult:
        role = exp.notify or exp.no_notify or ""
        contact: Contact | None = getattr(conv.scenario.user, role)
        if contact is None or contact.webhook is not True or self.receiver is None:
            return out(Outcome.ERROR, f"the scenario gives the {role} no `webhook: true`")
        self._pending.append(_Pending(conv.result, exp, req, turn, _hook_path(conv.result.user_id, role)))
        return out(Outcome.NOT_APPLICABLE, "waiting for the receiver")

    async def _settle_notifications(self) -> None:
        """Wait for expected notifications, then decide every deferred check."""
        if not self._pending or self.receiver is None:
            return
        wanted = {p.prefix for p in self._pending if p.expectation.notify}
        if wanted:
            await self.receiver.wait_for(wanted, self.target.notify_timeout)
        else:
            await asyncio.sleep(min(1.0, self.target.notify_timeout))
        for pending in self._pending:
            got = self.receiver.received(pending.prefix)
            exp = pending.expectation
            ok = bool(got) if exp.notify else not got
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

    def _judge_count(self, conv: _Conversation, count: CountCheck) -> CheckResult:
        req = conv.scenario.requirement_of(count)
        desc = count.describe()
        if self.kind is TargetKind.BARE:
            return CheckResult(
                req, desc, Outcome.NOT_APPLICABLE, "needs a companion-guard gateway", None, count.why
            )
        if not self.sandbox_clock and any(
            t.advance or t.every or t.at_local_time for t in conv.scenario.turns
        ):
            return CheckResult(req, desc, Outcome.NOT_APPLICABLE, "needs the sandbox clock", None, count.why)
        return CheckResult(req, desc, *checks.judge_count(count, conv.result.turns), None, count.why)


def _hook_path(user_id: str, role: str) -> str:
    return f"/hook/{user_id}/{role}"


def _mark_all(conv: _Conversation, outcome: Outcome, detail: str, *, only_missing: bool = False) -> None:
    """Give every requirement of a scenario that could not run an outcome, so it counts."""
    have = {c.requirement for c in conv.result.checks}
    for req in conv.scenario.requirements:
        if not (only_missing and req in have):
            conv.result.checks.append(CheckResult(req, "scenario ran", outcome, detail))
