"""The OpenAI wire format as the runner speaks it, and small text helpers.

One chat request, plain or streamed, comes back as a :class:`ChatAnswer`: the
status, the reply text the user saw, the gateway's ``guard`` object (empty for a
bare endpoint) and what went wrong, if anything.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from companion_guard.lines import aiter_lines

CHAT_PATH = "/v1/chat/completions"
_TEMPLATE = re.compile(r"\{(user|persona(?:\.[a-z0-9_-]+)?|saved\.[A-Za-z0-9_]+)\}")


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    """What one chat request produced."""

    status: int
    reply: str = ""
    guard: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def events(self) -> list[dict[str, Any]]:
        """``guard.events``."""
        return list_of_dicts(self.guard.get("events"))

    @property
    def signals(self) -> list[dict[str, Any]]:
        """``guard.signals`` or ``guard.decision.signals``."""
        found = list_of_dicts(self.guard.get("signals"))
        decision = self.guard.get("decision")
        if isinstance(decision, dict):
            found += list_of_dicts(decision.get("signals"))
        return found

    @property
    def action(self) -> str | None:
        """``guard.action`` or ``guard.decision.action``."""
        action = self.guard.get("action")
        decision = self.guard.get("decision")
        if action is None and isinstance(decision, dict):
            action = decision.get("action")
        return None if action is None else str(action)


async def post_chat(client: httpx.AsyncClient, body: dict[str, Any]) -> ChatAnswer:
    """One non-streaming chat completion."""
    answer = await client.post(CHAT_PATH, json=body)
    try:
        data = answer.json()
    except ValueError:
        return ChatAnswer(answer.status_code, error=f"not JSON: {short(answer.text)}")
    if not isinstance(data, dict):
        return ChatAnswer(answer.status_code, error="answer is not a JSON object")
    raw_guard = data.get("guard")
    guard: dict[str, Any] = raw_guard if isinstance(raw_guard, dict) else {}
    if answer.status_code >= 300:
        err = data.get("error")
        message = err.get("message") if isinstance(err, dict) else short(answer.text)
        return ChatAnswer(answer.status_code, "", guard, f"HTTP {answer.status_code}: {message}")
    try:
        reply = data["choices"][0]["message"].get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        return ChatAnswer(answer.status_code, "", guard, "answer has no choices[0].message")
    return ChatAnswer(answer.status_code, str(reply), guard)


async def post_chat_stream(client: httpx.AsyncClient, body: dict[str, Any]) -> ChatAnswer:
    """One streamed chat completion; the reply is everything that was delivered."""
    pieces: list[str] = []
    guard: dict[str, Any] = {}
    async with client.stream("POST", CHAT_PATH, json=body) as answer:
        if answer.status_code >= 300:
            raw = (await answer.aread()).decode("utf-8", "replace")
            return ChatAnswer(answer.status_code, error=f"HTTP {answer.status_code}: {short(raw)}")
        async for line in aiter_lines(answer.aiter_text()):
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                break
            try:
                chunk = json.loads(payload)
            except ValueError:
                return ChatAnswer(
                    answer.status_code, "".join(pieces), guard, f"bad SSE chunk: {short(payload)}"
                )
            if isinstance(chunk.get("error"), dict):
                status = int(chunk.get("status") or 500)
                return ChatAnswer(
                    status, "".join(pieces), guard, f"stream error: {chunk['error'].get('message')}"
                )
            if isinstance(chunk.get("guard"), dict):
                guard = chunk["guard"]
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                if isinstance(delta.get("content"), str):
                    pieces.append(delta["content"])
    return ChatAnswer(answer.status_code, "".join(pieces), guard)


def parse_now(answer: httpx.Response) -> datetime | None:
    """The server's time from a sandbox-clock answer (``{"now": ISO}``), if it says it."""
    try:
        data = answer.json()
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for key in ("now", "time", "clock", "current_time"):
        value = data.get(key)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def seconds_until(now: datetime, hhmm: str, tz: str) -> int:
    """Seconds from ``now`` to the next ``HH:MM`` in time zone ``tz`` (plus one, to be past it)."""
    local = now.astimezone(ZoneInfo(tz))
    hour, minute = (int(x) for x in hhmm.split(":"))
    target = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return math.ceil((target - local).total_seconds()) + 1


def fill(text: str, lookup: Callable[[str], str | None]) -> str:
    """Replace ``{user}``, ``{persona}``, ``{persona.KEY}`` and ``{saved.NAME}`` by ``lookup(name)``."""

    def sub(match: re.Match[str]) -> str:
        value = lookup(match.group(1))
        return match.group(0) if value is None else value

    return _TEMPLATE.sub(sub, text)


def fill_json(value: Any, lookup: Callable[[str], str | None]) -> Any:
    """:func:`fill` every string inside a JSON value."""
    if isinstance(value, str):
        return fill(value, lookup)
    if isinstance(value, list):
        return [fill_json(v, lookup) for v in value]
    if isinstance(value, dict):
        return {k: fill_json(v, lookup) for k, v in value.items()}
    return value


def dig(data: Any, dotted: str) -> Any:
    """``data["a"]["b"][0]`` for ``"a.b.0"``; None when a step is missing."""
    for part in dotted.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def list_of_dicts(value: Any) -> list[dict[str, Any]]:
    """The dict items of a list (anything else: empty)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def short(text: str, limit: int = 200) -> str:
    """One line, at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
