"""``companion-guard scope``: do the Interim Measures apply to this service? (S1, Q2/Q3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from companion_guard.cli import app


def _ask() -> dict[str, Any]:
    from rich.console import Console
    from rich.prompt import Confirm, Prompt

    from companion_guard.reports.scope import KINDS, QUESTIONS

    console = Console(stderr=True)  # questions on stderr: stdout carries only the verdict (``--format json``)
    answers: dict[str, Any] = {}
    for key, kind, zh, en in QUESTIONS:
        if kind == "choice":
            answers[key] = Prompt.ask(
                f"{zh}\n{en}", choices=list(KINDS), default="companion", console=console
            )
        else:
            answers[key] = Confirm.ask(f"{zh}\n{en}", console=console)
    return answers


@app.command()
def scope(
    answers_file: Path | None = typer.Option(
        None,
        "--answers",
        help="YAML with emotional_interaction, continuous, "
        "public_in_china (booleans) and service_kind; omit to be asked.",
    ),
    fmt: str = typer.Option("text", "--format", help="text or json."),
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
    db: str | None = typer.Option(
        None, "--db", help="Also list the personas of this store with their kinds."
    ),
) -> None:
    """Say whether the Measures apply and why, citing the Q&A (Q2, Q3)."""
    import yaml

    from companion_guard.reports.scope import Answers, ScopeError, assess

    raw = yaml.safe_load(answers_file.read_text(encoding="utf-8")) if answers_file else _ask()
    if db:
        from companion_guard.cli.report import store
        from companion_guard.store import repositories as repo
        from companion_guard.store import session_scope

        with store(db, None) as (_, sessions), session_scope(sessions) as session:
            raw = {**raw, "personas": [{"id": p.id, "kind": p.kind} for p in repo.list_personas(session)]}
    try:
        result = assess(Answers.parse(raw), "en" if lang.startswith("en") else "zh")
    except ScopeError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if fmt == "json":
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    verdict = (
        ("适用《办法》" if lang == "zh" else "The Measures apply")
        if result["applies"]
        else ("不适用《办法》" if lang == "zh" else "The Measures do not apply")
    )
    typer.secho(verdict, bold=True)
    for reason in result["reasons"]:
        typer.echo(f"  • {reason}")
