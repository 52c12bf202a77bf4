"""Judging one check against one recorded turn: pure functions, no I/O.

The runner decides what cannot be judged here (not applicable on a bare target,
notifications that are settled at the end of the run, ``any_of``); everything
else is an :class:`Outcome` and a detail line for the scorecard.
"""

from __future__ import annotations

from typing import Any

import httpx

from companion_guard.sandbox.judge import at_least, matches_category
from companion_guard.sandbox.results import Outcome, TurnRecord
from companion_guard.sandbox.scenario import CountCheck, Expectation
from companion_guard.sandbox.wire import short

Verdict = tuple[Outcome, str]

#: Checks that fail outright when the turn itself failed (nothing to find in an error).
_NEEDS_ANSWER = ("event", "guard_signal", "reply_contains_any")


def judge_turn(exp: Expectation, record: TurnRecord, answer: httpx.Response | None) -> Verdict:
    """Judge a turn-level check (not ``notify``/``no_notify``/``any_of``) on a recorded turn."""
    check = exp.check
    if check in ("status", "body_contains", "body_excludes"):
        return judge_http(exp, answer)
    if record.error and check in _NEEDS_ANSWER:
        return Outcome.FAIL, record.error
    if check in ("event", "no_event"):
        return judge_events(exp, record.events, must=check == "event")
    if check in ("guard_signal", "no_guard_signal"):
        wanted = exp.guard_signal or exp.no_guard_signal or ""
        return judge_signals(wanted, exp.level, record.guard_signals, must=check == "guard_signal")
    if check in ("reply_signal", "no_reply_signal"):
        wanted = exp.reply_signal or exp.no_reply_signal or ""
        return judge_signals(wanted, exp.level, record.judged, must=check == "reply_signal")
    folded = record.reply.casefold()
    if check == "reply_contains_any":
        found = [t for t in exp.reply_contains_any or [] if t.casefold() in folded]
        return (Outcome.PASS, f"found: {found}") if found else (Outcome.FAIL, "none found")
    if check == "reply_excludes":
        bad = [t for t in exp.reply_excludes or [] if t.casefold() in folded]
        return (Outcome.FAIL, f"found: {bad}") if bad else (Outcome.PASS, "")
    raise ValueError(f"{check} is not judged on a single turn")


def judge_events(exp: Expectation, events: tuple[dict[str, Any], ...], *, must: bool) -> Verdict:
    """An event of the kind (and level, display, message) is there — or, with ``must=False``, is not."""
    want = exp.event or exp.no_event or ""
    words = [t.casefold() for t in exp.message_contains_any or []]
    hits = [
        e
        for e in events
        if e.get("kind") == want
        and (exp.level is None or at_least(str(e.get("level")), exp.level))
        and (exp.display is None or e.get("display") == exp.display)
        and (not words or any(w in str(e.get("message", "")).casefold() for w in words))
    ]
    detail = "events: " + (", ".join(str(e.get("kind")) for e in events) or "none")
    return (Outcome.PASS if bool(hits) == must else Outcome.FAIL), detail


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
        return (Outcome.PASS, found) if hits else (Outcome.FAIL, "not found")
    return (Outcome.FAIL, found) if hits else (Outcome.PASS, "")


def judge_http(exp: Expectation, answer: httpx.Response | None) -> Verdict:
    """Status and body checks of an ``http`` step."""
    if answer is None:
        return Outcome.ERROR, "no answer"
    if exp.status is not None:
        ok = answer.status_code in exp.status
        return (Outcome.PASS if ok else Outcome.FAIL), f"HTTP {answer.status_code}: {short(answer.text)}"
    needle = (exp.body_contains or exp.body_excludes or "").casefold()
    present = needle in answer.text.casefold()
    wanted = exp.body_contains is not None
    return (Outcome.PASS if present == wanted else Outcome.FAIL), f"HTTP {answer.status_code}"


def combine_any(verdicts: list[tuple[str, Outcome]]) -> Verdict:
    """``any_of``: a pass wins; otherwise a failure or error fails; all n/a stays n/a."""
    detail = "; ".join(f"{check} → {outcome.value}" for check, outcome in verdicts)
    outcomes = {o for _, o in verdicts}
    if Outcome.PASS in outcomes:
        return Outcome.PASS, detail
    if outcomes & {Outcome.FAIL, Outcome.ERROR}:
        return Outcome.FAIL, detail
    return Outcome.NOT_APPLICABLE, detail


def judge_count(count: CountCheck, turns: list[TurnRecord]) -> Verdict:
    """How many turns carried the event kind, against ``min``/``max``."""
    at = [t.index for t in turns if any(e.get("kind") == count.event for e in t.events)]
    ok = len(at) >= count.min and (count.max is None or len(at) <= count.max)
    return (Outcome.PASS if ok else Outcome.FAIL), f"on turns {at}"
