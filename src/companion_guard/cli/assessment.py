"""``companion-guard assessment``: A1 triggers — record changes, check thresholds, list what is due."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime

import typer

from companion_guard.cli import app
from companion_guard.cli.report import DB, HOME, store

assessment_app = typer.Typer(help="When a security assessment is due (A1).", no_args_is_help=True)
app.add_typer(assessment_app, name="assessment")


@assessment_app.command("record-change")
def record_change(
    kind: str = typer.Argument(..., help="launch, feature or major_change."),
    title: str = typer.Argument(..., help="What changed, in one line."),
    detail: str = typer.Option("", "--detail", help="More about it."),
    by: str | None = typer.Option(None, "--by", help="Who records it (default: the OS user)."),
    db: str | None = DB,
    home: str | None = HOME,
) -> None:
    """Record a launch, a new related feature or a major technical change (fires its trigger)."""
    from companion_guard.policy.loader import load_pack
    from companion_guard.reports import changes
    from companion_guard.store import session_scope

    if kind not in changes.OPERATOR_KINDS:
        raise typer.BadParameter(f"kind is one of {', '.join(changes.OPERATOR_KINDS)}")
    with store(db, home) as (settings, sessions), session_scope(sessions) as session:
        row = changes.record_change(
            session,
            kind=kind,
            title=title,
            detail=detail,
            at=datetime.now(UTC),
            by=f"operator:{by or getpass.getuser()}",
            pack=load_pack(settings.policy_packs[0]),
        )
        typer.echo(
            json.dumps({"change_id": row.id, "kind": row.kind, "title": row.title}, ensure_ascii=False)
        )


@assessment_app.command("status")
def status(
    check: bool = typer.Option(True, "--check/--no-check", help="Count users first (fires scale triggers)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    db: str | None = DB,
    home: str | None = HOME,
) -> None:
    """The counts against the pack's thresholds and every assessment.due record."""
    from companion_guard.policy.loader import load_pack
    from companion_guard.reports import triggers
    from companion_guard.store import session_scope

    now = datetime.now(UTC)
    with store(db, home) as (settings, sessions), session_scope(sessions) as session:
        pack = load_pack(settings.policy_packs[0])
        if check:
            triggers.check(session, pack=pack, now=now)
        counts = triggers.counts(session, now=now, window_days=pack.assessment.mau_window_days)
        thresholds = {
            "registered_users": pack.assessment.registered_users,
            "monthly_active_users": pack.assessment.monthly_active_users,
        }
        due = [triggers.due_view(d) for d in triggers.due(session)]
    if as_json:
        typer.echo(json.dumps({"counts": counts, "thresholds": thresholds, "due": due}, ensure_ascii=False))
        return
    typer.echo(
        f"registered users {counts['registered_users']:,} / {thresholds['registered_users']:,}; "
        f"MAU {counts['monthly_active_users']:,} / {thresholds['monthly_active_users']:,}"
    )
    for d in due:
        state = f"assessed {d['assessed_at']}" if d["assessed_at"] else "OPEN"
        typer.echo(f"assessment.due  {d['fired_at'][:19]}  {d['trigger']:<28} {state}")
