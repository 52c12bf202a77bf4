"""Running one scenario: its steps in order against the target, each judged as it comes
(notification checks are handed to the sink and decided at the end of the run)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from companion_guard.sandbox import checks
from companion_guard.sandbox.judge import ReplyJudge
from companion_guard.sandbox.profiles import system_prompt
from companion_guard.sandbox.results import CheckResult, Outcome, ScenarioResult, TargetKind, TurnRecord
from companion_guard.sandbox.runner.clock import SandboxClock
from companion_guard.sandbox.runner.notifications import NotificationSink
from companion_guard.sandbox.runner.target import SetupFailed, register
from companion_guard.sandbox.scenario import (
    AnyOfExpectation,
    CountCheck,
    Expectation,
    NoNotifyExpectation,
    NotifyExpectation,
    Scenario,
    ScenarioStep,
)
from companion_guard.sandbox.wire import ChatAnswer, dig, fill, fill_json, post_chat, post_chat_stream, short
from companion_guard.types import Message


@dataclass
class Stage:
    """What every conversation of a run shares: the target, its clock, the judge and the sink."""

    client: httpx.AsyncClient
    kind: TargetKind
    clock: SandboxClock
    judge: ReplyJudge
    sink: NotificationSink
    stream: bool | None = None
    model: str | None = None


@dataclass
class Conversation:
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


async def play_scenario(stage: Stage, scenario: Scenario, user_id: str) -> ScenarioResult:
    """Run one scenario as ``user_id``; a refused set-up or a broken connection is an error result."""
    t0 = time.perf_counter()
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
    conv = Conversation(scenario, result, persona_ids, {p.key: [] for p in scenario.personas})
    try:
        if stage.kind is TargetKind.GATEWAY:
            note = await stage.clock.start(stage.client, scenario)
            if note:
                raise SetupFailed(note)
            await register(
                stage.client, scenario, user_id, persona_ids, lambda role: stage.sink.hook_url(user_id, role)
            )
        for step in scenario.turns:
            for repetition in range(step.repeat):
                await _play(stage, conv, step, repetition)
        for count in scenario.overall:
            result.checks.append(_judge_count(stage, conv, count))
    except SetupFailed as exc:
        result.error = str(exc)
        _mark_all(conv, Outcome.ERROR, str(exc))
    except httpx.HTTPError as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        _mark_all(conv, Outcome.ERROR, result.error, only_missing=True)
    result.seconds = time.perf_counter() - t0
    return result


async def _play(stage: Stage, conv: Conversation, step: ScenarioStep, repetition: int) -> None:
    seconds, clock_note = await stage.clock.before(stage.client, step, repetition, conv.scenario.timezone)
    conv.sim_seconds += seconds
    conv.index += 1
    answer: httpx.Response | None = None
    if step.http is not None:
        record, answer = await _http_step(stage, conv, step)
    else:
        record = await _chat_turn(stage, conv, step, repetition)
    conv.result.turns.append(record)
    for exp in step.expect:
        conv.result.checks.append(_judge(stage, conv, exp, record, answer, clock_note))


async def _chat_turn(stage: Stage, conv: Conversation, step: ScenarioStep, repetition: int) -> TurnRecord:
    scenario = conv.scenario
    persona = next(p for p in scenario.personas if p.key == step.persona)
    text = step.text(repetition)
    history = conv.history[persona.key]
    messages = [{"role": m.role, "content": m.content} for m in history]
    messages.append({"role": "user", "content": text})
    if stage.kind is TargetKind.BARE:
        messages.insert(0, {"role": "system", "content": system_prompt(persona)})
        model = stage.model or "default"
    else:
        model = conv.persona_ids[persona.key]
    stream = stage.stream if stage.stream is not None else scenario.stream
    body = {"model": model, "user": conv.result.user_id, "messages": messages, "stream": stream}
    t0 = time.perf_counter()
    got: ChatAnswer = await (post_chat_stream if stream else post_chat)(stage.client, body)
    latency = (time.perf_counter() - t0) * 1000
    history.append(Message("user", text))
    if got.reply:
        history.append(Message("assistant", got.reply))
    judged = stage.judge.judge(
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


async def _http_step(
    stage: Stage, conv: Conversation, step: ScenarioStep
) -> tuple[TurnRecord, httpx.Response | None]:
    call = step.http
    if call is None:
        raise ValueError("not an http step")
    path = fill(call.path, conv.lookup)
    label = f"{call.method} {path}"
    if stage.kind is TargetKind.BARE:
        record = TurnRecord(
            conv.index, conv.sim_seconds, step.persona, "", "", 0, http=label, error="not sent: bare target"
        )
        return record, None
    headers: dict[str, str] = {}
    if call.auth == "none":
        headers["Authorization"] = ""
    elif call.auth == "saved" and conv.saved.get("token"):
        headers["Authorization"] = f"Bearer {conv.saved['token']}"
    body = fill_json(call.json_body, conv.lookup) if call.json_body is not None else None
    t0 = time.perf_counter()
    answer = await stage.client.request(call.method, path, json=body, headers=headers or None)
    latency = (time.perf_counter() - t0) * 1000
    try:
        data = answer.json()
    except ValueError:
        data = None
    for name, dotted in call.save.items():
        value = dig(data, dotted)
        if value is not None:
            conv.saved[name] = value
    record = TurnRecord(
        conv.index,
        conv.sim_seconds,
        step.persona,
        "",
        short(answer.text, 400),
        answer.status_code,
        latency_ms=latency,
        http=label,
    )
    return record, answer


def _judge(
    stage: Stage,
    conv: Conversation,
    exp: Expectation,
    record: TurnRecord,
    answer: httpx.Response | None,
    clock_note: str | None,
) -> CheckResult:
    req = conv.scenario.requirement_of(exp)

    def out(outcome: Outcome, detail: str = "") -> CheckResult:
        return CheckResult(req, exp.describe(), outcome, detail, record.index, exp.why)

    if isinstance(exp, AnyOfExpectation):
        subs = [_judge(stage, conv, sub, record, answer, clock_note) for sub in exp.any_of]
        verdict = checks.combine_any([(s.check, s.outcome) for s in subs])
        return out(verdict.outcome, verdict.detail)
    if exp.gateway_only and stage.kind is TargetKind.BARE:
        return out(Outcome.NOT_APPLICABLE, "needs a companion-guard gateway")
    if clock_note and exp.gateway_only:
        return out(Outcome.NOT_APPLICABLE, clock_note)
    if isinstance(exp, NotifyExpectation | NoNotifyExpectation):
        return out(*stage.sink.defer(conv.scenario, conv.result, exp, req, record.index))
    verdict = checks.judge_turn(exp, record, answer)
    return out(verdict.outcome, verdict.detail)


def _judge_count(stage: Stage, conv: Conversation, count: CountCheck) -> CheckResult:
    req = conv.scenario.requirement_of(count)
    desc = count.describe()
    if stage.kind is TargetKind.BARE:
        return CheckResult(
            req, desc, Outcome.NOT_APPLICABLE, "needs a companion-guard gateway", None, count.why
        )
    if not stage.clock.available and any(
        t.advance or t.every or t.at_local_time for t in conv.scenario.turns
    ):
        return CheckResult(req, desc, Outcome.NOT_APPLICABLE, "needs the sandbox clock", None, count.why)
    verdict = checks.judge_count(count, conv.result.turns)
    return CheckResult(req, desc, verdict.outcome, verdict.detail, None, count.why)


def _mark_all(conv: Conversation, outcome: Outcome, detail: str, *, only_missing: bool = False) -> None:
    """Give every requirement of a scenario that could not run an outcome, so it counts."""
    have = {c.requirement for c in conv.result.checks}
    for req in conv.scenario.requirements:
        if not (only_missing and req in have):
            conv.result.checks.append(CheckResult(req, "scenario ran", outcome, detail))
