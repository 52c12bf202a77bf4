"""``companion-guard check``: run the detectors on one text or a JSONL batch."""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import typer

from companion_guard.cli import app


def _context(line: dict[str, Any], registry: Any) -> Any:
    """The detection context of one line, as the gateway would build it for that turn.

    For a reply, the user's last message in ``context`` is inspected first (with the
    earlier messages), so the reply is read against the user's crisis state, age group
    (``user_age``) and persona relationship (``persona_relationship``), as in a turn.
    """
    from companion_guard.detectors.base import DetectionContext
    from companion_guard.pipeline import user_groups
    from companion_guard.policy.loader import load_pack
    from companion_guard.types import Direction, Message

    history = tuple(
        Message(str(m.get("role", "user")), str(m.get("content", "")))
        if isinstance(m, dict)
        else Message("user", str(m))
        for m in line.get("context") or []
    )
    direction = Direction(line.get("direction", "input"))
    age_raw = line.get("user_age")
    age = int(age_raw) if age_raw is not None else None
    groups = frozenset(user_groups(age, load_pack("cn-2026")))
    if direction is Direction.INPUT:
        return DetectionContext(direction=direction, history=history, user_age=age, user_groups=groups)
    user_text = next((m.content for m in reversed(history) if m.role == "user"), "")
    earlier = history[:-1] if history and history[-1].role == "user" else history
    inputs = (
        registry.detect(
            user_text,
            DetectionContext(direction=Direction.INPUT, history=earlier, user_age=age, user_groups=groups),
        )
        if user_text
        else []
    )
    return DetectionContext(
        direction=direction,
        history=history,
        user_age=age,
        user_text=user_text,
        user_groups=groups,
        persona_relationship=str(line.get("persona_relationship") or ""),
        input_signals=tuple(inputs),
    )


@cache
def _engine() -> Any:
    from companion_guard.policy.engine import PolicyEngine
    from companion_guard.policy.loader import load_pack

    return PolicyEngine([load_pack("cn-2026")])


def _judge(registry: Any, line: dict[str, Any]) -> dict[str, Any]:
    """The signals, and what the default pack decides for this user (``allow``, ``steer`` or ``replace``)."""
    from companion_guard.types import Direction

    ctx = _context(line, registry)
    signals = registry.detect(str(line["text"]), ctx)
    direction = Direction(line.get("direction", "input"))
    decision = _engine().decide(signals, direction=direction, groups=ctx.user_groups)
    return {
        "signals": [s.to_dict() for s in signals],
        "decision": {"outcome": decision.outcome, "rules": decision.rules_json()},
    }


@app.command()
def check(
    text: str | None = typer.Argument(None, help="A text to check (omit with --input)."),
    direction: str = typer.Option("input", help="input (user text) or output (companion reply)."),
    input_file: Path | None = typer.Option(
        None, "--input", help="JSONL: {text, direction, context?, user_age?, persona_relationship?} per line."
    ),
    output_file: Path | None = typer.Option(
        None, "--output", help="Where to write the JSONL results (default stdout)."
    ),
) -> None:
    """Run the detectors and print the signals."""
    from rich.progress import track

    from companion_guard.detectors.registry import default_registry

    if direction not in ("input", "output"):
        raise typer.BadParameter("direction must be input or output")
    registry = default_registry()
    if input_file is None:
        if text is None:
            raise typer.BadParameter("give a TEXT or --input FILE.jsonl")
        typer.echo(
            json.dumps(
                {
                    "text": text,
                    "direction": direction,
                    **_judge(registry, {"text": text, "direction": direction}),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    from companion_guard.lines import split_lines

    lines = split_lines(input_file.read_text(encoding="utf-8"))
    out = output_file.open("w", encoding="utf-8") if output_file else sys.stdout
    bad = 0
    try:
        for n, raw in enumerate(track(lines, description="checking", disable=output_file is None), 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
                if not isinstance(line, dict) or not isinstance(line.get("text"), str):
                    raise ValueError("needs a string `text`")
                if line.get("direction", "input") not in ("input", "output"):
                    raise ValueError("`direction` must be input or output")
                line.update(_judge(registry, line))
            except ValueError as exc:
                bad += 1
                typer.secho(f"line {n}: {exc}", fg="red", err=True)
                continue
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    finally:
        if output_file:
            out.close()
    if bad:
        raise typer.Exit(1)
