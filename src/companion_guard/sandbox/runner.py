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
import json
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx

from companion_guard.exceptions import CompanionGuardError
from companion_guard.sandbox.judge import ReplyJudge, at_least, matches_category
from companion_guard.sandbox.receiver import WebhookReceiver
from companion_guard.sandbox.results import (
    CheckResult,
    Outcome,
    RunInfo,
    ScenarioResult,
    TargetKind,
    TurnRecord,
)
from companion_guard.sandbox.scenario import Contact, CountCheck, Expectation, PersonaSpec, Scenario, Turn
from companion_guard.types import Message

_TEMPLATE = re.compile(r"\{(user|persona(?:\.[a-z0-9_-]+)?|saved\.[A-Za-z0-9_]+)\}")
_RELATION_ZH = {
    "friend": "朋友",
    "partner": "恋人",
    "relative": "家人",
    "mentor": "导师",
    "pet": "宠物",
    "other": "伙伴",
}


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
        self._client: httpx.AsyncClient | None = None
        self._model: str | None = target.model

    # ------------------------------------------------------------------ the run

    async def run(
        self,
        scenarios: list[Scenario],
        *,
        suite: str = "",
        on_result: Callable[[ScenarioResult], None] | None = None,
    ) -> tuple[RunInfo, list[ScenarioResult]]:
        """Run every scenario; return the run's info and each scenario's result."""
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        headers = {"Authorization": f"Bearer {self.target.key}"} if self.target.key else {}
        async with httpx.AsyncClient(
            base_url=self.target.root, headers=headers, timeout=self.target.timeout, transport=self._transport
        ) as client:
            self._client = client
            await self._detect_kind()
            needs_receiver = self.kind is TargetKind.GATEWAY and any(_uses_receiver(s) for s in scenarios)
            if needs_receiver:
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
            self._client = None
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

    async def _detect_kind(self) -> None:
        """Probe the sandbox clock; a gateway without it is found by its OpenAPI paths."""
        assert self._client is not None
        if self.target.kind == "bare":
            self.kind = TargetKind.BARE
        else:
            try:
                answer = await self._client.post("/v1/sandbox/clock", json={"advance_seconds": 0})
            except httpx.HTTPError:
                answer = None
            if answer is not None and answer.status_code in (401, 403):
                raise RunError(
                    f"{self.target.root} refused the API key ({answer.status_code}): pass the provider key with --key"
                )
            if answer is not None and answer.status_code < 300:
                self.sandbox_clock = True
                self._note_now(answer)
            is_gateway = self.sandbox_clock or self.target.kind == "gateway" or await self._has_user_routes()
            self.kind = TargetKind.GATEWAY if is_gateway else TargetKind.BARE
        if self.kind is TargetKind.BARE and self._model is None:
            self._model = await self._first_model()

    async def _has_user_routes(self) -> bool:
        assert self._client is not None
        try:
            answer = await self._client.get("/openapi.json")
            return answer.status_code == 200 and "/v1/users/{user_id}" in answer.json().get("paths", {})
        except (httpx.HTTPError, ValueError, AttributeError):
            return False

    async def _first_model(self) -> str:
        assert self._client is not None
        try:
            answer = await self._client.get("/v1/models")
            data = answer.json().get("data") or []
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
            self._overall(conv)
        except _SetupFailed as exc:
            result.error = str(exc)
            self._mark_all(conv, Outcome.ERROR, str(exc))
        except httpx.HTTPError as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            self._mark_all(conv, Outcome.ERROR, result.error, only_missing=True)
        result.seconds = time.perf_counter() - t0
        return result

    def _mark_all(
        self, conv: _Conversation, outcome: Outcome, detail: str, *, only_missing: bool = False
    ) -> None:
        """Give every requirement of a scenario that could not run an outcome, so it counts."""
        have = {c.requirement for c in conv.result.checks}
        for req in conv.scenario.requirements:
            if only_missing and req in have:
                continue
            conv.result.checks.append(CheckResult(req, "scenario ran", outcome, detail))

    async def _start_clock(self, scenario: Scenario) -> None:
        """Move the sandbox clock to the scenario's local start time (not counted as use)."""
        if not self.sandbox_clock or self.now is None or scenario.start_local_time is None:
            return
        assert self._client is not None
        seconds = _seconds_until(self.now, scenario.start_local_time, scenario.timezone)
        answer = await self._client.post("/v1/sandbox/clock", json={"advance_seconds": seconds})
        if answer.status_code >= 300:
            raise _SetupFailed(f"POST /v1/sandbox/clock answered {answer.status_code}: {_short(answer.text)}")
        if not self._note_now(answer):
            self.now += timedelta(seconds=seconds)

    async def _set_up(self, conv: _Conversation) -> None:
        """Register the simulated user and personas with the gateway."""
        assert self._client is not None
        body = self._user_body(conv)
        answer = await self._client.put(f"/v1/users/{conv.result.user_id}", json=body)
        if answer.status_code >= 300:
            raise _SetupFailed(f"PUT /v1/users answered {answer.status_code}: {_short(answer.text)}")
        for persona in conv.scenario.personas:
            pbody = _persona_body(persona)
            answer = await self._client.put(f"/v1/personas/{conv.persona_ids[persona.key]}", json=pbody)
            if answer.status_code >= 300:
                raise _SetupFailed(f"PUT /v1/personas answered {answer.status_code}: {_short(answer.text)}")

    def _user_body(self, conv: _Conversation) -> dict[str, Any]:
        profile = conv.scenario.user
        body: dict[str, Any] = {"locale": profile.locale}
        if profile.age is not None:
            body["age"] = profile.age
        if profile.birth_date is not None:
            body["birth_date"] = profile.birth_date.isoformat()
        for role in ("guardian", "emergency_contact"):
            contact: Contact | None = getattr(profile, role)
            if contact is not None:
                body[role] = self._contact_body(contact, conv, role)
        if profile.mode is not None:
            body["mode"] = profile.mode
        if profile.minor_mode is not None:
            body["minor_mode"] = profile.minor_mode
        body.update(profile.extra)
        return body

    def _contact_body(self, contact: Contact, conv: _Conversation, role: str) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in (("name", contact.name), ("email", contact.email)) if v}
        if contact.webhook is True and self.receiver is not None:
            out["webhook"] = f"{self.receiver.url}{self._hook_path(conv.result.user_id, role)}"
        elif isinstance(contact.webhook, str):
            out["webhook"] = contact.webhook
        return out

    def _hook_path(self, user_id: str, role: str) -> str:
        return f"/hook/{user_id}/{role}"

    # ---------------------------------------------------------------- one turn

    async def _play(self, conv: _Conversation, turn: Turn, repetition: int) -> None:
        wait = turn.advance if repetition == 0 else turn.every
        clock_note = await self._move_clock(conv, turn if repetition == 0 else None, wait)
        conv.index += 1
        if turn.http is not None:
            record, answer = await self._http_step(conv, turn)
        else:
            record = await self._chat_turn(conv, turn, repetition)
            answer = None
        conv.result.turns.append(record)
        for exp in turn.expect:
            conv.result.checks.append(self._judge(conv, exp, record, answer, clock_note))

    async def _move_clock(self, conv: _Conversation, turn: Turn | None, seconds: int) -> str | None:
        """Advance the sandbox clock; returns why time could not move, if it could not."""
        if turn is not None and turn.at_local_time is not None:
            if not self.sandbox_clock or self.now is None:
                return "the target's clock time is unknown (needs a gateway started with --sandbox)"
            seconds += _seconds_until(
                self.now + timedelta(seconds=seconds), turn.at_local_time, conv.scenario.timezone
            )
        if seconds <= 0:
            return None
        conv.sim_seconds += seconds
        if not self.sandbox_clock:
            return "time cannot be moved on this target (no sandbox clock)"
        assert self._client is not None
        answer = await self._client.post("/v1/sandbox/clock", json={"advance_seconds": seconds})
        if answer.status_code >= 300:
            return f"POST /v1/sandbox/clock answered {answer.status_code}"
        if not self._note_now(answer) and self.now is not None:
            self.now += timedelta(seconds=seconds)
        return None

    def _note_now(self, answer: httpx.Response) -> bool:
        """Remember the server's time if the clock route says it."""
        try:
            data = answer.json()
        except ValueError:
            return False
        if not isinstance(data, dict):
            return False
        for key in ("now", "time", "clock", "current_time"):
            value = data.get(key)
            if isinstance(value, str):
                try:
                    parsed = datetime.fromisoformat(value)
                except ValueError:
                    continue
                self.now = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
                return True
        return False

    async def _chat_turn(self, conv: _Conversation, turn: Turn, repetition: int) -> TurnRecord:
        assert self._client is not None
        scenario = conv.scenario
        persona = next(p for p in scenario.personas if p.key == turn.persona)
        text = turn.text(repetition)
        history = conv.history[persona.key]
        messages = [{"role": m.role, "content": m.content} for m in history]
        messages.append({"role": "user", "content": text})
        if self.kind is TargetKind.BARE:
            messages.insert(0, {"role": "system", "content": _system_prompt(persona)})
            model = self._model or "default"
        else:
            model = conv.persona_ids[persona.key]
        stream = self.target.stream if self.target.stream is not None else scenario.stream
        body = {"model": model, "user": conv.result.user_id, "messages": messages, "stream": stream}
        t0 = time.perf_counter()
        if stream:
            status, reply, guard, error = await self._post_stream(body)
        else:
            status, reply, guard, error = await self._post(body)
        latency = (time.perf_counter() - t0) * 1000
        history.append(Message("user", text))
        if reply:
            history.append(Message("assistant", reply))
        judged = self.judge.judge(
            reply,
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
            reply=reply,
            status=status,
            events=tuple(_list_of_dicts(guard.get("events"))),
            guard_signals=tuple(_guard_signals(guard)),
            judged=tuple(s.to_dict() for s in judged),
            action=_guard_action(guard),
            latency_ms=latency,
            error=error,
        )

    async def _post(self, body: dict[str, Any]) -> tuple[int, str, dict[str, Any], str | None]:
        assert self._client is not None
        answer = await self._client.post("/v1/chat/completions", json=body)
        try:
            data = answer.json()
        except ValueError:
            return answer.status_code, "", {}, f"not JSON: {_short(answer.text)}"
        if not isinstance(data, dict):
            return answer.status_code, "", {}, "answer is not a JSON object"
        raw_guard = data.get("guard")
        guard: dict[str, Any] = raw_guard if isinstance(raw_guard, dict) else {}
        if answer.status_code >= 300:
            err = data.get("error")
            message = err.get("message") if isinstance(err, dict) else _short(answer.text)
            return answer.status_code, "", guard, f"HTTP {answer.status_code}: {message}"
        try:
            reply = data["choices"][0]["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            return answer.status_code, "", guard, "answer has no choices[0].message"
        return answer.status_code, str(reply), guard, None

    async def _post_stream(self, body: dict[str, Any]) -> tuple[int, str, dict[str, Any], str | None]:
        assert self._client is not None
        pieces: list[str] = []
        guard: dict[str, Any] = {}
        async with self._client.stream("POST", "/v1/chat/completions", json=body) as answer:
            if answer.status_code >= 300:
                raw = (await answer.aread()).decode("utf-8", "replace")
                return answer.status_code, "", {}, f"HTTP {answer.status_code}: {_short(raw)}"
            async for line in answer.aiter_lines():
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    break
                try:
                    chunk = json.loads(payload)
                except ValueError:
                    return answer.status_code, "".join(pieces), guard, f"bad SSE chunk: {_short(payload)}"
                if isinstance(chunk.get("error"), dict):
                    status = int(chunk.get("status") or 500)
                    return status, "".join(pieces), guard, f"stream error: {chunk['error'].get('message')}"
                if isinstance(chunk.get("guard"), dict):
                    guard = chunk["guard"]
                for choice in chunk.get("choices") or []:
                    delta = choice.get("delta") or {}
                    if isinstance(delta.get("content"), str):
                        pieces.append(delta["content"])
        reply = "".join(pieces)
        replaced = guard.get("replacement") or guard.get("replaced_with")
        if isinstance(replaced, str) and replaced:
            reply = replaced
        return answer.status_code, reply, guard, None

    async def _http_step(self, conv: _Conversation, turn: Turn) -> tuple[TurnRecord, httpx.Response | None]:
        step = turn.http
        assert step is not None and self._client is not None
        path = _fill(step.path, conv)
        label = f"{step.method} {path}"
        if self.kind is TargetKind.BARE:
            return TurnRecord(
                conv.index,
                conv.sim_seconds,
                turn.persona,
                "",
                "",
                0,
                http=label,
                error="not sent: bare target",
            ), None
        headers: dict[str, str] = {}
        if step.auth == "none":
            headers["Authorization"] = ""
        elif step.auth == "saved" and conv.saved.get("token"):
            headers["Authorization"] = f"Bearer {conv.saved['token']}"
        body = _fill_json(step.json_body, conv) if step.json_body is not None else None
        t0 = time.perf_counter()
        answer = await self._client.request(step.method, path, json=body, headers=headers or None)
        latency = (time.perf_counter() - t0) * 1000
        try:
            data = answer.json()
        except ValueError:
            data = None
        for name, dotted in step.save.items():
            value = _dig(data, dotted)
            if value is not None:
                conv.saved[name] = value
        return (
            TurnRecord(
                conv.index,
                conv.sim_seconds,
                turn.persona,
                "",
                _short(answer.text, 400),
                answer.status_code,
                latency_ms=latency,
                http=label,
            ),
            answer,
        )

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
        desc = exp.describe()

        def out(outcome: Outcome, detail: str = "") -> CheckResult:
            return CheckResult(req, desc, outcome, detail, record.index, exp.why)

        if exp.any_of is not None:
            return self._judge_any(conv, exp, record, answer, clock_note, out)
        if exp.gateway_only and self.kind is TargetKind.BARE:
            return out(Outcome.NOT_APPLICABLE, "needs a companion-guard gateway")
        if clock_note and exp.gateway_only:
            return out(Outcome.NOT_APPLICABLE, clock_note)
        check = exp.check
        if check in ("notify", "no_notify"):
            return self._defer_notify(conv, exp, req, record.index, out)
        if check in ("status", "body_contains", "body_excludes"):
            return _judge_http(exp, answer, out)
        if record.error and check in ("event", "guard_signal", "reply_contains_any"):
            return out(Outcome.FAIL, record.error)
        if check in ("event", "no_event"):
            want = exp.event or exp.no_event or ""
            hits = [
                e
                for e in record.events
                if e.get("kind") == want
                and (exp.level is None or at_least(str(e.get("level")), exp.level))
                and (exp.display is None or e.get("display") == exp.display)
                and (
                    not exp.message_contains_any
                    or any(
                        t.casefold() in str(e.get("message", "")).casefold() for t in exp.message_contains_any
                    )
                )
            ]
            kinds = ", ".join(str(e.get("kind")) for e in record.events) or "no events"
            if check == "event":
                return out(Outcome.PASS if hits else Outcome.FAIL, f"events: {kinds}")
            return out(Outcome.FAIL if hits else Outcome.PASS, f"events: {kinds}")
        if check in ("guard_signal", "no_guard_signal"):
            return _judge_signals(
                exp,
                exp.guard_signal or exp.no_guard_signal or "",
                record.guard_signals,
                check == "guard_signal",
                out,
            )
        if check in ("reply_signal", "no_reply_signal"):
            return _judge_signals(
                exp,
                exp.reply_signal or exp.no_reply_signal or "",
                record.judged,
                check == "reply_signal",
                out,
            )
        folded = record.reply.casefold()
        if check == "reply_contains_any":
            found = [t for t in exp.reply_contains_any or [] if t.casefold() in folded]
            return out(Outcome.PASS if found else Outcome.FAIL, f"found: {found}" if found else "none found")
        bad = [t for t in exp.reply_excludes or [] if t.casefold() in folded]
        return out(Outcome.FAIL if bad else Outcome.PASS, f"found: {bad}" if bad else "")

    def _judge_any(
        self,
        conv: _Conversation,
        exp: Expectation,
        record: TurnRecord,
        answer: httpx.Response | None,
        clock_note: str | None,
        out: Callable[..., CheckResult],
    ) -> CheckResult:
        subs = [self._judge(conv, sub, record, answer, clock_note) for sub in exp.any_of or []]
        detail = "; ".join(f"{s.check} → {s.outcome.value}" for s in subs)
        outcomes = {s.outcome for s in subs}
        if Outcome.PASS in outcomes:
            return out(Outcome.PASS, detail)
        if outcomes & {Outcome.FAIL, Outcome.ERROR}:
            return out(Outcome.FAIL, detail)
        return out(Outcome.NOT_APPLICABLE, detail)

    def _defer_notify(
        self, conv: _Conversation, exp: Expectation, req: str, turn: int, out: Callable[..., CheckResult]
    ) -> CheckResult:
        role = exp.notify or exp.no_notify or ""
        contact: Contact | None = getattr(conv.scenario.user, role)
        if contact is None or contact.webhook is not True or self.receiver is None:
            return out(Outcome.ERROR, f"the scenario gives the {role} no `webhook: true`")
        placeholder = out(Outcome.NOT_APPLICABLE, "waiting for the receiver")
        self._pending.append(
            _Pending(conv.result, exp, req, turn, self._hook_path(conv.result.user_id, role))
        )
        return placeholder

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
            detail = f"{len(got)} delivery(ies) at {pending.prefix}"
            checks = pending.result.checks
            for i, check in enumerate(checks):
                if (
                    check.turn == pending.turn
                    and check.check == exp.describe()
                    and check.detail.startswith("waiting")
                ):
                    checks[i] = CheckResult(
                        pending.requirement,
                        check.check,
                        Outcome.PASS if ok else Outcome.FAIL,
                        detail,
                        pending.turn,
                        exp.why,
                    )
                    break
            pending.result.notifications = [
                d.to_dict() for d in self.receiver.received(f"/hook/{pending.result.user_id}/")
            ]

    def _overall(self, conv: _Conversation) -> None:
        for count in conv.scenario.overall:
            conv.result.checks.append(self._judge_count(conv, count))

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
        at = [t.index for t in conv.result.turns if any(e.get("kind") == count.event for e in t.events)]
        ok = len(at) >= count.min and (count.max is None or len(at) <= count.max)
        return CheckResult(req, desc, Outcome.PASS if ok else Outcome.FAIL, f"on turns {at}", None, count.why)


class RunError(CompanionGuardError):
    """The run cannot start: the target refused the credentials."""


class _SetupFailed(Exception):
    """The gateway refused the simulated user or persona."""


# ---------------------------------------------------------------------- helpers


def _uses_receiver(scenario: Scenario) -> bool:
    return any(
        c is not None and c.webhook is True for c in (scenario.user.guardian, scenario.user.emergency_contact)
    )


def _persona_body(persona: PersonaSpec) -> dict[str, Any]:
    body: dict[str, Any] = {
        "display_name": persona.display_name,
        "relationship": persona.relationship.value,
        "system_prompt": _system_prompt(persona),
    }
    if persona.upstream_model:
        body["upstream_model"] = persona.upstream_model
    return body


def _system_prompt(persona: PersonaSpec) -> str:
    if persona.system_prompt:
        return persona.system_prompt
    rel = persona.relationship.value
    return (
        f"你是{persona.display_name}，用户的{_RELATION_ZH.get(rel, '伙伴')}。"
        f" You are {persona.display_name}, the user's {rel}. Stay in character."
    )


def _seconds_until(now: datetime, hhmm: str, tz: str) -> int:
    """Seconds from ``now`` to the next ``HH:MM`` in time zone ``tz`` (plus one, to be past it)."""
    local = now.astimezone(ZoneInfo(tz))
    hour, minute = (int(x) for x in hhmm.split(":"))
    target = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return math.ceil((target - local).total_seconds()) + 1


def _list_of_dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _guard_signals(guard: dict[str, Any]) -> list[dict[str, Any]]:
    found = _list_of_dicts(guard.get("signals"))
    decision = guard.get("decision")
    if isinstance(decision, dict):
        found += _list_of_dicts(decision.get("signals"))
    return found


def _guard_action(guard: dict[str, Any]) -> str | None:
    action = guard.get("action")
    if action is None and isinstance(guard.get("decision"), dict):
        action = guard["decision"].get("action")
    return None if action is None else str(action)


def _judge_signals(
    exp: Expectation,
    wanted: str,
    signals: tuple[dict[str, Any], ...],
    must: bool,
    out: Callable[..., CheckResult],
) -> CheckResult:
    hits = [
        s
        for s in signals
        if matches_category(str(s.get("category", "")), wanted) and at_least(str(s.get("level")), exp.level)
    ]
    found = ", ".join(f"{s.get('category')}:{s.get('level')} ({s.get('detector')})" for s in hits)
    if must:
        return out(Outcome.PASS if hits else Outcome.FAIL, found or "not found")
    return out(Outcome.FAIL if hits else Outcome.PASS, found)


def _judge_http(
    exp: Expectation, answer: httpx.Response | None, out: Callable[..., CheckResult]
) -> CheckResult:
    if answer is None:
        return out(Outcome.ERROR, "no answer")
    if exp.status is not None:
        ok = answer.status_code in exp.status
        return out(Outcome.PASS if ok else Outcome.FAIL, f"HTTP {answer.status_code}: {_short(answer.text)}")
    needle = (exp.body_contains or exp.body_excludes or "").casefold()
    present = needle in answer.text.casefold()
    if exp.body_contains is not None:
        return out(Outcome.PASS if present else Outcome.FAIL, f"HTTP {answer.status_code}")
    return out(Outcome.FAIL if present else Outcome.PASS, f"HTTP {answer.status_code}")


def _fill(text: str, conv: _Conversation) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "user":
            return conv.result.user_id
        if name == "persona":
            return next(iter(conv.persona_ids.values()))
        if name.startswith("persona."):
            return conv.persona_ids.get(name.split(".", 1)[1], match.group(0))
        return str(conv.saved.get(name.split(".", 1)[1], match.group(0)))

    return _TEMPLATE.sub(sub, text)


def _fill_json(value: Any, conv: _Conversation) -> Any:
    if isinstance(value, str):
        return _fill(value, conv)
    if isinstance(value, list):
        return [_fill_json(v, conv) for v in value]
    if isinstance(value, dict):
        return {k: _fill_json(v, conv) for k, v in value.items()}
    return value


def _dig(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
