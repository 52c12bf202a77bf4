"""``Guard``: every turn through one pipeline (DESIGN.md).

    1 inspect   normalise the user's text → detectors → signals; policy packs decide
    2 gate      duties' gates: account state, consent, persona allowed, quiet hours —
                a gate may stop the companion, never the crisis path (help first, I1/I2)
    3 effects   the decision's actions (policy.effects), then the duties react
    4 generate  call the upstream companion (steered when an action says so)
    5 inspect   the reply (sentence by sentence when streaming) → decide → pass or replace
    6 record    messages, signals, decisions, usage clock, outbox notifications

Stages 1–3 commit before the upstream is called, so the user's message and the
decision survive an upstream failure or a crash; stage 6 commits the reply.
Database work runs in a worker thread so the event loop keeps serving (inline on SQLite,
whose one writer serialises turns anyway); judging a long reply always runs in one.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar, TypeVarTuple

import anyio
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from companion_guard import effects
from companion_guard.clock import Clock
from companion_guard.detectors.base import DetectionContext
from companion_guard.detectors.registry import DetectorRegistry
from companion_guard.duties.base import REQUIRED_PROTECTIONS, Duty
from companion_guard.duties.contacts import Resolver, emergency_contact
from companion_guard.effects import action_text
from companion_guard.exceptions import ConfigError, NotFoundError, UpstreamError
from companion_guard.guardians.bands import default_bands
from companion_guard.guardians.state import turn_groups
from companion_guard.metrics import Metrics
from companion_guard.policy.engine import Decision, PolicyEngine
from companion_guard.policy.messages import render
from companion_guard.policy.schema import ActionKind, PolicyPack
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope
from companion_guard.store.preload import preload_user
from companion_guard.store.tables import OutboxMessage, Turn
from companion_guard.turn import GateResult, TurnContext, TurnRequest, TurnResult
from companion_guard.types import Direction, Message
from companion_guard.upstream.base import Upstream, UpstreamRequest

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_Args = TypeVarTuple("_Args")

#: How often a turn is tried again when creating the user's rows raced another turn of the same user.
FIRST_SIGHT_RETRIES = 2

#: Sentence ends at which a streamed reply is checked before it is released.
SENTENCE_ENDS = frozenset("。！？!?.；;\n…~")


def user_groups(age: int | None, pack: PolicyPack) -> set[str]:
    """The policy groups of a user of this age (S2), for callers without a stored user (offline checks).

    The one source is :meth:`~companion_guard.guardians.bands.BandTable.groups_for`; a turn
    adds what the user's profile says (:func:`~companion_guard.guardians.state.turn_groups`).
    """
    return set(default_bands().groups_for(age, unknown_group=pack.defaults.unknown_age_group))


def guess_locale(text: str, default: str) -> str:
    """For users who declared no locale: English when the text is Latin-only."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return default if default.startswith("zh") else "zh-CN"
    if any(ch.isascii() and ch.isalpha() for ch in text):
        return "en-US"
    return default


#: Longest text judged on the event loop (SQLite). Judging costs about 0.6–1.3 µs a character
#: (60 ms for 100,000; 2.5 s for 2 million on one core); a longer text is judged in a
#: worker thread, so one over-long reply does not stall every other request on this replica.
INLINE_CHECK_CHARS = 4_000

#: Seconds a persona read from the store is reused: a PUT or DELETE on this replica refreshes it at
#: once, one on another replica is seen within this long.
PERSONA_CACHE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class PersonaView:
    """A read-only snapshot of a persona, safe to share between turns."""

    id: str
    display_name: str
    relationship: str
    system_prompt: str
    upstream_model: str


@dataclass(slots=True)
class Prepared:
    """Stages 1–3 done: either a final answer, or what to ask the upstream."""

    ctx: TurnContext
    final: TurnResult | None
    upstream_request: UpstreamRequest | None
    #: ``time.perf_counter()`` when the turn started (for the turn's latency metric).
    started: float = 0.0


class Guard:
    """The one pipeline. Build it with :func:`companion_guard.assembly.build_guard`.

    A ``Guard`` built by hand must be as safe as the gateway's: its sessions must
    seal what they store (the rights layer's codec) and its duties must give every
    protection in :data:`~companion_guard.duties.base.REQUIRED_PROTECTIONS`
    (kill switch, suspension, minor mode, consent), or it cannot be built.
    """

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        registry: DetectorRegistry,
        policy: PolicyEngine,
        upstream: Upstream,
        clock: Clock,
        duties: list[Duty],
        resolvers: Mapping[str, Resolver] | None = None,
        history_messages: int = 6,
        channels: frozenset[str] | None = None,
        metrics: Metrics | None = None,
        allow_plaintext: bool = False,
    ) -> None:
        if not repo.codec_of(sessions).encrypts and not allow_plaintext:
            raise ConfigError(
                "these sessions would store messages in plain text: build the guard with "
                "companion_guard.assembly.build_guard(settings), which installs the encrypting codec"
            )
        missing = REQUIRED_PROTECTIONS - {p for duty in duties for p in duty.provides}
        if missing:
            raise ConfigError(
                f"no duty gives {', '.join(sorted(missing))}: start from companion_guard.duties.DEFAULT_DUTIES"
            )
        targets = {
            a.target or "emergency_contact"
            for pack in policy.packs
            for rule in pack.rules
            for a in rule.actions
            if a.kind is ActionKind.NOTIFY
        }
        unknown = targets - {"emergency_contact", *(resolvers or {})}
        if unknown:
            raise ConfigError(f"the packs notify {', '.join(sorted(unknown))}, which no feature can reach")
        self.sessions = sessions
        self.registry = registry
        self.policy = policy
        self.upstream = upstream
        self.clock = clock
        self.duties = duties
        #: Notify target → who to reach (``emergency_contact`` always; features add ``guardian``).
        self.resolvers: Mapping[str, Resolver] = {"emergency_contact": emergency_contact, **(resolvers or {})}
        self.history_messages = history_messages
        #: Channels the outbox can deliver through (``None``: unknown, e.g. a library user's own outbox).
        self.channels = channels
        #: Prometheus instruments (:func:`companion_guard.metrics.build_metrics`); ``None`` records nothing.
        self.metrics = metrics
        self._stage_at = threading.local()  # when the current stage began, per thread (metrics only)
        self._personas: dict[str, tuple[float, PersonaView]] = {}
        # SQLite has one writer at a time; taking turns here avoids its busy-wait sleeps
        # and snapshot-upgrade failures. PostgreSQL runs turns' transactions in parallel.
        bind = sessions.kw.get("bind")
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        self._writer: AbstractContextManager[Any] = threading.Lock() if sqlite else nullcontext()
        # With SQLite the writer lock serialises turns anyway, so worker threads would only
        # add hand-offs and GIL contention: run the short store work on the event loop.
        self._inline = sqlite

    async def _offload(self, fn: Callable[[*_Args], _T], *args: *_Args) -> _T:
        """Run blocking store or detector work: inline for SQLite, in a worker thread otherwise."""
        if self._inline:
            return fn(*args)
        return await anyio.to_thread.run_sync(fn, *args)

    async def _check_off_loop(self, prepared: Prepared, text: str, *, partial: bool = False) -> Decision:
        """:meth:`check_reply`, in a worker thread when ``text`` is long (it touches no store)."""
        if len(text) <= INLINE_CHECK_CHARS:
            return await self._offload(lambda: self.check_reply(prepared, text, partial=partial))
        return await anyio.to_thread.run_sync(lambda: self.check_reply(prepared, text, partial=partial))

    def persona(self, session: Session, persona_id: str) -> PersonaView:
        """The persona, from a short cache; raises :class:`NotFoundError` if unknown."""
        hit = self._personas.get(persona_id)
        now = time.monotonic()
        if hit is not None and now - hit[0] < PERSONA_CACHE_SECONDS:
            return hit[1]
        row = repo.get_persona(session, persona_id)
        if row is None:
            raise NotFoundError(f"unknown persona {persona_id!r}; GET /v1/models lists them")
        view = PersonaView(row.id, row.display_name, row.relationship, row.system_prompt, row.upstream_model)
        self._personas[persona_id] = (now, view)
        return view

    def forget_persona(self, persona_id: str) -> None:
        """Drop a cached persona (after it was changed)."""
        self._personas.pop(persona_id, None)

    # ---- stages 1–3 --------------------------------------------------------------

    def _context(self, session: Session, req: TurnRequest) -> TurnContext:
        pack = self.policy.primary
        now = self.clock.now()
        persona = self.persona(session, req.persona_id)
        # One statement for the user's per-turn rows; the duties' reads are then answered from the session.
        user = preload_user(session, req.user_id, persona.id)
        if user is None:
            user = repo.ensure_user(session, req.user_id, now=now, locale=pack.defaults.locale)
        age = repo.user_age_on(user, now.date())
        locale = user.locale if user.registered else guess_locale(req.user_text, pack.defaults.locale)
        history = tuple(
            Message(role, text) for role, text in repo.recent_texts(session, user.id, self.history_messages)
        )
        return TurnContext(
            request=req,
            session=session,
            user=user,
            persona=persona,
            pack=pack,
            now=now,
            turn_id=str(uuid.uuid4()),
            locale=locale,
            age=age,
            groups=turn_groups(session, user.id, age, pack),
            history=history,
            user_name=repo.display_name(session, user) if user.display_name else None,
            deliverable=self.channels,
            resolvers=self.resolvers,
        )

    def inspect(
        self, ctx: TurnContext, text: str, direction: Direction, *, partial: bool = False
    ) -> tuple[list[Any], Decision]:
        """Run the detectors and the policy on one text of this turn.

        ``partial`` marks a reply still streaming: the cheap tier checks each
        sentence as it lands, the learned tier waits for the whole reply.
        """
        output = direction is Direction.OUTPUT
        dctx = DetectionContext(
            direction=direction,
            history=ctx.history,
            user_age=ctx.age,
            locale=ctx.locale,
            user_text=ctx.request.user_text if output else "",
            user_groups=frozenset(ctx.groups),
            persona_relationship=ctx.persona.relationship if output else "",
            input_signals=tuple(ctx.input_signals) if output else (),
            tiers=frozenset({"lexicon"}) if partial else None,
        )
        started = time.perf_counter()
        signals = self.registry.detect(text, dctx)
        if self.metrics is not None:
            # A streamed reply is re-checked as it grows: its signals are counted once, on the whole reply.
            self.metrics.detected(direction.value, time.perf_counter() - started, [] if partial else signals)
        decision = self.policy.decide(signals, direction=direction, groups=frozenset(ctx.groups))
        return signals, decision

    def prepare(self, req: TurnRequest) -> Prepared:
        """Inspect and decide, then gate, then apply the decision; commit the turn and the user's message.

        The user's words are inspected before any gate runs: a gate (quiet hours, a
        daily limit, missing consent, suspension, a closed account, the kill switch)
        may stop the companion, never the crisis reply, the case and the notification.
        """
        started = time.perf_counter()
        for attempt in range(FIRST_SIGHT_RETRIES + 1):
            try:
                prepared = self._prepare(req)
                break
            except IntegrityError:
                # Two first turns of one user at once (two replicas, or two requests on PostgreSQL): both
                # created the user's rows and one commit lost. Again: this time the rows are there.
                if attempt == FIRST_SIGHT_RETRIES:
                    raise
        prepared.started = started
        if self.metrics is not None:
            self.metrics.stage("record", time.perf_counter() - self._stage_at.t)
            if prepared.final is not None:
                self._count(prepared, prepared.final)
        return prepared

    def _mark(self, stage: str) -> None:
        """End a stage begun at the last mark (metrics only)."""
        if self.metrics is not None:
            now = time.perf_counter()
            self.metrics.stage(stage, now - self._stage_at.t)
            self._stage_at.t = now

    def _count(self, prepared: Prepared, result: TurnResult, *, stream: bool = False) -> None:
        if self.metrics is None:
            return
        ctx = prepared.ctx
        kinds = [t.action.kind.value for d in (ctx.input_decision, ctx.output_decision) for t in d.triggered]
        self.metrics.turn(
            action=result.action, stream=stream, seconds=time.perf_counter() - prepared.started, actions=kinds
        )

    def _prepare(self, req: TurnRequest) -> Prepared:
        with self._writer, session_scope(self.sessions) as session:
            self._stage_at.t = time.perf_counter()
            ctx = self._context(session, req)
            for duty in self.duties:
                duty.load(ctx)
            self._mark("load")
            ctx.input_signals, ctx.input_decision = self.inspect(ctx, req.user_text, Direction.INPUT)
            self._mark("inspect_input")
            for duty in self.duties:
                gate = duty.gate(ctx)
                if gate is not None:
                    return self._gated(ctx, gate)
            effects.apply(ctx.input_decision, ctx, Direction.INPUT)
            for duty in self.duties:
                duty.on_input(ctx)
            self._mark("duties")
            final = ctx.replacement is not None
            turn = self._record_turn(
                ctx,
                status="completed" if final else "decided",
                action=ctx.input_decision.outcome,
                completed_at=ctx.now if final else None,
            )
            rows = [repo.message_row(session, turn, role="user", content=req.user_text, now=ctx.now)]
            if ctx.replacement is not None:
                rows.append(
                    repo.message_row(session, turn, role="assistant", content=ctx.replacement, now=ctx.now)
                )
            repo.insert_messages(session, rows)
            self._queue_notifications(ctx)
            if ctx.replacement is not None:
                return Prepared(ctx, self._result(ctx, ctx.replacement, "replace"), None)
            return Prepared(ctx, None, self._upstream_request(ctx))

    def _gated(self, ctx: TurnContext, gate: GateResult) -> Prepared:
        """A gate stopped the companion. A crisis still gets its reply, case and notifications (help first).

        For a user whose content may not be kept (an under-14 user without consent, a
        closed account), only what the emergency needs is kept when there is a crisis:
        the turn with its levels (no words), the case and the notifications — PIPL
        art. 13 allows processing without consent to protect life and health.
        """
        session, req = ctx.session, ctx.request
        urgent = effects.help_first(ctx.input_decision)
        if not urgent.triggered:
            result = self._gate_result(ctx, gate)
            if not gate.keep_content:
                # Keep nothing of this turn (M2): only what the gate itself wrote.
                session.rollback()
                if gate.persist is not None:
                    gate.persist(session)
                return Prepared(ctx, result, None)
            turn = self._record_turn(ctx, status=gate.status, action="block")
            repo.insert_messages(
                session,
                [
                    repo.message_row(session, turn, role="user", content=req.user_text, now=ctx.now),
                    repo.message_row(session, turn, role="assistant", content=gate.reply, now=ctx.now),
                ],
            )
            return Prepared(ctx, result, None)
        ctx.input_decision = urgent
        effects.apply(urgent, ctx, Direction.INPUT)
        reply = effects.crisis_reply(ctx) or ctx.replacement or gate.reply
        if ctx.reply_suffix and ctx.replacement is None and effects.crisis_reply(ctx) is None:
            reply = reply.rstrip() + "\n\n" + "\n".join(ctx.reply_suffix)
        # The gate's own pop-up ("time to sleep", "account suspended") is not shown to a person in
        # crisis; the turn keeps the gate's status, so audits see both.
        if gate.persist is not None and not gate.keep_content:
            gate.persist(session)
        turn = self._record_turn(
            ctx, status=gate.status, action="replace", keep_evidence=gate.keep_content, completed_at=ctx.now
        )
        if gate.keep_content:
            repo.insert_messages(
                session,
                [
                    repo.message_row(session, turn, role="user", content=req.user_text, now=ctx.now),
                    repo.message_row(session, turn, role="assistant", content=reply, now=ctx.now),
                ],
            )
        self._queue_notifications(ctx)
        return Prepared(ctx, self._result(ctx, reply, "replace"), None)

    def _gate_result(self, ctx: TurnContext, gate: GateResult) -> TurnResult:
        ctx.events.extend(e for e in gate.events if e not in ctx.events)
        return self._result(ctx, gate.reply, "block")

    def _record_turn(
        self,
        ctx: TurnContext,
        *,
        status: str,
        action: str,
        keep_evidence: bool = True,
        completed_at: datetime | None = None,
    ) -> _TurnRef:
        """Insert the turn with one Core statement (after flushing what the duties changed)."""
        signals = ctx.input_signals if keep_evidence else [replace(s, evidence=()) for s in ctx.input_signals]
        session = ctx.session
        session.flush()
        repo.insert_turn(
            session,
            {
                "id": ctx.turn_id,
                "user_id": ctx.user.id,
                "persona_id": ctx.persona.id,
                "created_at": ctx.now,
                "completed_at": completed_at,
                "status": status,
                "action": action,
                "max_level": int(ctx.input_decision.max_level),
                "input_signals": repo.stored_signals(session, ctx.user.id, signals),
                "output_signals": [],
                "rules": ctx.input_decision.rules_json(),
                "events": [e.to_record() for e in ctx.events],
                "error": None,
            },
        )
        return _TurnRef(ctx.turn_id, ctx.user.id, ctx.persona.id)

    def _queue_notifications(self, ctx: TurnContext) -> None:
        for n in ctx.notifications:
            repo.enqueue(
                ctx.session,
                OutboxMessage(
                    dedupe_key=n.dedupe_key,
                    turn_id=ctx.turn_id,
                    user_id=ctx.user.id,
                    kind=n.kind,
                    requirement=n.requirement,
                    channel=n.channel,
                    target=n.target,
                    recipient_masked=n.recipient_masked,
                    payload=n.payload,
                    status="pending",
                    attempts=0,
                    next_attempt_at=ctx.now,
                    created_at=ctx.now,
                ),
            )

    def _upstream_request(self, ctx: TurnContext) -> UpstreamRequest:
        messages: list[Message] = []
        if ctx.persona.system_prompt:
            messages.append(Message("system", ctx.persona.system_prompt))
        messages.extend(ctx.request.messages)
        if ctx.steer_notes:
            messages.append(Message("system", "\n".join(ctx.steer_notes)))
        return UpstreamRequest(
            model=ctx.persona.upstream_model or ctx.persona.id,
            messages=tuple(messages),
            persona_id=ctx.persona.id,
            locale=ctx.locale,
            max_tokens=ctx.request.max_tokens,
            temperature=ctx.request.temperature,
        )

    def _result(self, ctx: TurnContext, reply: str, action: str) -> TurnResult:
        return TurnResult(
            turn_id=ctx.turn_id,
            persona_id=ctx.persona.id,
            reply=reply,
            action=action,
            events=list(ctx.events),
            input_signals=list(ctx.input_signals),
            output_signals=list(ctx.output_signals),
            rules=ctx.input_decision.rules_json() + ctx.output_decision.rules_json(),
            created=ctx.now,
        )

    # ---- stages 5–6 --------------------------------------------------------------

    def check_reply(self, prepared: Prepared, text: str, *, partial: bool = False) -> Decision:
        """Inspect (part of) a reply; used on every sentence while streaming."""
        ctx = prepared.ctx
        ctx.output_signals, ctx.output_decision = self.inspect(ctx, text, Direction.OUTPUT, partial=partial)
        return ctx.output_decision

    def replacement_for(self, prepared: Prepared, decision: Decision) -> str:
        """The safe text that replaces a reply the policy refused.

        While the user is in crisis (≥ medium) it is the crisis reply for their signal,
        never a change of subject; otherwise the refusing rule's own text.
        """
        ctx = prepared.ctx
        crisis = effects.crisis_reply(ctx)
        if crisis is not None:
            return crisis
        for t in sorted(decision.actions(ActionKind.REPLACE), key=lambda t: -t.signal.level):
            return action_text(ctx, t)
        return render(ctx.pack, "reply.replaced", ctx.locale)

    @staticmethod
    def _with_help(prepared: Prepared, reply: str) -> str:
        """The crisis reply with any help text the decision appends that it does not already hold."""
        extra = [x for x in prepared.ctx.reply_suffix if x and x not in reply]
        return reply if not extra else reply.rstrip() + "\n\n" + "\n".join(extra)

    def finish(
        self, prepared: Prepared, upstream_text: str, *, delivered: str | None = None, checked: bool = False
    ) -> TurnResult:
        """Decide on the whole reply, then record what was delivered.

        ``delivered`` is given by the streaming path, which has already decided
        sentence by sentence and released part of the text. ``checked`` says the whole
        reply was already judged (:meth:`check_reply`), so its decision is used as it is.
        """
        ctx = prepared.ctx
        if delivered is None:
            decision = ctx.output_decision if checked else self.check_reply(prepared, upstream_text)
            reply = (
                self.replacement_for(prepared, decision) if decision.outcome == "replace" else upstream_text
            )
            if decision.outcome != "replace" and ctx.reply_suffix:
                reply = reply.rstrip() + "\n\n" + "\n".join(ctx.reply_suffix)
        else:
            reply = delivered
        action = "replace" if ctx.output_decision.outcome == "replace" else ctx.input_decision.outcome
        with self._writer, session_scope(self.sessions) as session:
            ctx.session = session
            effects.apply(ctx.output_decision, ctx, Direction.OUTPUT)
            for duty in self.duties:
                duty.on_reply(ctx, reply)
            now = self.clock.now()
            session.flush()
            updated = repo.finish_turn(
                session,
                ctx.turn_id,
                {
                    "status": "completed",
                    "completed_at": now,
                    "action": action,
                    "output_signals": repo.stored_signals(session, ctx.user.id, ctx.output_signals),
                    "rules": ctx.input_decision.rules_json() + ctx.output_decision.rules_json(),
                    "events": [e.to_record() for e in ctx.events],
                },
            )
            if not updated:  # deleted meanwhile (data-rights delete): deliver, keep nothing
                return self._result(ctx, reply, action)
            repo.add_message(
                session,
                _TurnRef(ctx.turn_id, ctx.user.id, ctx.persona.id),
                role="assistant",
                content=reply,
                now=now,
                original=upstream_text if reply != upstream_text else None,
            )
            self._queue_notifications(ctx)
        return self._result(ctx, reply, action)

    def fail(self, prepared: Prepared, error: Exception) -> None:
        """Record that the upstream failed; the user's message and decision stay."""
        with self._writer, session_scope(self.sessions) as session:
            turn = session.get(Turn, prepared.ctx.turn_id)
            if turn is not None:
                turn.status, turn.error = "upstream_failed", f"{type(error).__name__}: {error}"[:2000]

    # ---- async orchestration -----------------------------------------------------

    async def turn(self, req: TurnRequest) -> TurnResult:
        """Run one whole turn and return the reply with its guard metadata."""
        prepared = await self.start(req)
        if prepared.final is not None:
            return prepared.final
        assert prepared.upstream_request is not None
        t0 = time.perf_counter()
        try:
            text = await self.upstream.complete(prepared.upstream_request)
        except UpstreamError as exc:
            self._upstream_failed(prepared, exc)
            help_reply = effects.crisis_reply(prepared.ctx)
            if help_reply is not None:  # the companion is down, the crisis path is not (help first)
                served = self._with_help(prepared, help_reply)
                result = await self._offload(lambda: self.finish(prepared, "", delivered=served))
                self._count(prepared, result)
                return result
            await self._offload(self.fail, prepared, exc)
            raise
        t1 = time.perf_counter()
        await self._check_off_loop(prepared, text)
        t2 = time.perf_counter()
        result = await self._offload(lambda: self.finish(prepared, text, checked=True))
        if self.metrics is not None:
            self.metrics.stage("upstream", t1 - t0)
            self.metrics.stage("inspect_reply", t2 - t1)
            self.metrics.stage("finish", time.perf_counter() - t2)
            self._count(prepared, result)
        return result

    def _upstream_failed(self, prepared: Prepared, exc: Exception) -> None:
        """Say so in the log and the metrics: a failing companion must not be silent."""
        ctx = prepared.ctx
        log.warning(
            "upstream failed for turn %s (persona %s): %s: %s",
            ctx.turn_id,
            ctx.persona.id,
            type(exc).__name__,
            exc,
        )
        if self.metrics is not None:
            self.metrics.upstream_errors.labels(type(exc).__name__).inc()

    async def start(self, req: TurnRequest) -> Prepared:
        """Stages 1–3 (gate, inspect, decide), committed."""
        return await self._offload(self.prepare, req)

    async def turn_stream(self, req: TurnRequest) -> AsyncIterator[str | TurnResult]:
        """Run a whole turn, streaming: see :meth:`stream_prepared`."""
        async for item in self.stream_prepared(await self.start(req)):
            yield item

    async def stream_prepared(self, prepared: Prepared) -> AsyncIterator[str | TurnResult]:
        """Yield checked pieces of the reply, then the :class:`TurnResult`.

        Text is released a sentence behind what was checked: a sentence leaves
        only once it and the one after it passed the reply check. When the reply
        turns bad, the upstream is cut off and the rest is replaced by the
        policy's safe text.
        """
        if prepared.final is not None:
            yield prepared.final.reply
            yield prepared.final
            return
        assert prepared.upstream_request is not None
        received, released, scanned = "", 0, 0
        ends: list[int] = []  # offsets just past each sentence end seen so far
        delivered: list[str] = []
        replaced = False
        stream = self.upstream.stream(prepared.upstream_request)
        try:
            async for piece in stream:
                received += piece
                for i in range(scanned, len(received)):
                    if received[i] in SENTENCE_ENDS:
                        if ends and ends[-1] == i:  # "？！" or "...": one sentence end
                            ends[-1] = i + 1
                        else:
                            ends.append(i + 1)
                scanned = len(received)
                # Hold the newest complete sentence back until the next one arrives, so a
                # reply that turns bad over two sentences ("leaving already? I'll be so sad")
                # is judged whole before any of it leaves.
                if len(ends) < 2 or ends[-2] <= released:
                    continue
                if (
                    await self._check_off_loop(prepared, received[: ends[-1]], partial=True)
                ).outcome == "replace":
                    replaced = True
                    break
                cut = ends[-2]
                delivered.append(received[released:cut])
                yield received[released:cut]
                released = cut
        except UpstreamError as exc:
            self._upstream_failed(prepared, exc)
            help_reply = effects.crisis_reply(prepared.ctx)
            if help_reply is None:
                await self._offload(self.fail, prepared, exc)
                raise
            # The companion failed mid-stream; a person in crisis still gets the crisis reply.
            tail = ("\n\n" if delivered else "") + self._with_help(prepared, help_reply)
            delivered.append(tail)
            yield tail
            result = await self._offload(
                lambda: self.finish(prepared, received, delivered="".join(delivered))
            )
            self._count(prepared, result, stream=True)
            yield result
            return
        finally:
            await _aclose(stream)
        if not replaced:
            # The whole reply, with every tier, before its last sentence leaves.
            if (await self._check_off_loop(prepared, received)).outcome == "replace":
                replaced = True
            elif released < len(received):
                delivered.append(received[released:])
                yield received[released:]
        if replaced:
            safe = self.replacement_for(prepared, prepared.ctx.output_decision)
            tail = ("\n\n" if delivered else "") + safe
            delivered.append(tail)
            yield tail
        elif prepared.ctx.reply_suffix:
            tail = "\n\n" + "\n".join(prepared.ctx.reply_suffix)
            delivered.append(tail)
            yield tail
        result = await self._offload(lambda: self.finish(prepared, received, delivered="".join(delivered)))
        self._count(prepared, result, stream=True)
        yield result


@dataclass(frozen=True, slots=True)
class _TurnRef:
    """The turn columns a message needs, without loading the row."""

    id: str
    user_id: str
    persona_id: str


async def _aclose(stream: Any) -> None:
    close: Callable[[], Any] | None = getattr(stream, "aclose", None)
    if close is not None:
        await close()
