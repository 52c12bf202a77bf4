"""Judging one check against one recorded turn: pure functions, no I/O.

The runner decides what cannot be judged here (not applicable on a bare target,
notifications that are settled at the end of the run, ``any_of``); everything
else is an :class:`Outcome` and a detail line for the scorecard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from companion_guard.sandbox.judge import at_least, matches_category
from companion_guard.sandbox.results import Outcome, TurnRecord
from companion_guard.sandbox.scenario import (
    BodyContainsExpectation,
    BodyExcludesExpectation,
    CountCheck,
    EventExpectation,
    Expectation,
    GuardSignalExpectation,
    NoEventExpectation,
    NoGuardSignalExpectation,
    NoReplySignalExpectation,
    ReplyContainsAnyExpectation,
    ReplyExcludesExpectation,
    ReplySignalExpectation,
    StatusExpectation,
)
from companion_guard.sandbox.wire import short


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one check came out, and the line the scorecard shows for it."""

    outcome: Outcome
    detail: str = ""


#: Checks that fail outright when the turn itself failed (nothing to find in an error).
_NEEDS_ANSWER = (EventExpectation, GuardSignalExpectation, ReplyContainsAnyExpectation)
_HTTP = (StatusExpectation, BodyContainsExpectation, BodyExcludesExpectation)


def judge_turn(exp: Expectation, record: TurnRecord, answer: httpx.Response | None) -> Verdict:
    """Judge a turn-level check (not ``notify``/``no_notify``/``any_of``) on a recorded turn."""
    if isinstance(exp, _HTTP):
        return judge_http(exp, answer)
    if record.error and isinstance(exp, _NEEDS_ANSWER):
        return Verdict(Outcome.FAIL, record.error)
    folded = record.reply.casefold()
    match exp:
        case EventExpectation() | NoEventExpectation():
            return judge_events(exp, record.events)
        case GuardSignalExpectation(guard_signal=wanted):
            return judge_signals(wanted, exp.level, record.guard_signals, must=True)
        case NoGuardSignalExpectation(no_guard_signal=wanted):
            return judge_signals(wanted, exp.level, record.guard_signals, must=False)
        case ReplySignalExpectation(reply_signal=wanted):
            return judge_signals(wanted, exp.level, record.judged, must=True)
        case NoReplySignalExpectation(no_reply_signal=wanted):
            return judge_signals(wanted, exp.level, record.judged, must=False)
        case ReplyContainsAnyExpectation():
            found = [t for t in exp.reply_contains_any if t.casefold() in folded]
            return Verdict(Outcome.PASS, f"found: {found}") if found else Verdict(Outcome.FAIL, "none found")
        case ReplyExcludesExpectation():
            bad = [t for t in exp.reply_excludes if t.casefold() in folded]
            return Verdict(Outcome.FAIL, f"found: {bad}") if bad else Verdict(Outcome.PASS)
    raise ValueError(f"{exp.kind} is not judged on a single turn")


def judge_events(exp: EventExpectation | NoEventExpectation, events: tuple[dict[str, Any], ...]) -> Verdict:
    """An event of the kind (and level, display, message) is there — or, for ``no_event``, is not."""
    must = isinstance(exp, EventExpectation)
    want = exp.event if isinstance(exp, EventExpectation) else exp.no_event
    words = [
        t.casefold() for t in (exp.message_contains_any or [] if isinstance(exp, EventExpectation) else [])
    ]
    hits = [
        e
        for e in events
        if e.get("kind") == want
        and (exp.level is None or at_least(str(e.get("level")), exp.level))
        and (exp.display is None or e.get("display") == exp.display)
        and (not words or any(w in str(e.get("message", "")).casefold() for w in words))
    ]
    detail = "events: " + (", ".join(str(e.get("kind")) for e in events) or "none")
    return Verdict(Outcome.PASS if bool(hits) == must else Outcome.FAIL, detail)


def judge_signals(
    wanted: str, level: str | None, signals: tuple[dict[str, Any], ...], *, must: bool
) -> Verdict:
    """A signal of the category (``reply.*`` for a prefix) at or above ``level`` is there — or is not."""
    hits = [
        s
        for s in signals
        if matches_category(str(s.get("category", "")), wanted) and at_least(str(s.get("level")), level)
    ]
    found = ", ".join(f"{s.get('category')}:{s.get('level')} ({s.get('detector')})" for s in hits)
    if must:
        return Verdict(Outcome.PASS, found) if hits else Verdict(Outcome.FAIL, "not found")
    return Verdict(Outcome.FAIL, found) if hits else Verdict(Outcome.PASS)


def judge_http(
    exp: StatusExpectation | BodyContainsExpectation | BodyExcludesExpectation, answer: httpx.Response | None
) -> Verdict:
    """Status and body checks of an ``http`` step."""
    if answer is None:
        return Verdict(Outcome.ERROR, "no answer")
    if isinstance(exp, StatusExpectation):
        ok = answer.status_code in exp.status
        return Verdict(
            Outcome.PASS if ok else Outcome.FAIL, f"HTTP {answer.status_code}: {short(answer.text)}"
        )
    wanted = isinstance(exp, BodyContainsExpectation)
    needle = (exp.body_contains if isinstance(exp, BodyContainsExpectation) else exp.body_excludes).casefold()
    present = needle in answer.text.casefold()
    return Verdict(Outcome.PASS if present == wanted else Outcome.FAIL, f"HTTP {answer.status_code}")


def combine_any(verdicts: list[tuple[str, Outcome]]) -> Verdict:
    """``any_of``: a pass wins; otherwise a failure or error fails; all n/a stays n/a."""
    detail = "; ".join(f"{check} → {outcome.value}" for check, outcome in verdicts)
    outcomes = {o for _, o in verdicts}
    if Outcome.PASS in outcomes:
        return Verdict(Outcome.PASS, detail)
    if outcomes & {Outcome.FAIL, Outcome.ERROR}:
        return Verdict(Outcome.FAIL, detail)
    return Verdict(Outcome.NOT_APPLICABLE, detail)


def judge_count(count: CountCheck, turns: list[TurnRecord]) -> Verdict:
    """How many turns carried the event kind, against ``min``/``max``."""
    at = [t.index for t in turns if any(e.get("kind") == count.event for e in t.events)]
    ok = len(at) >= count.min and (count.max is None or len(at) <= count.max)
    return Verdict(Outcome.PASS if ok else Outcome.FAIL, f"on turns {at}")
