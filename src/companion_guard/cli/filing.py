"""``companion-guard filing record|list``: algorithm filings and finished assessments as submitted (A3)."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime

import typer

from companion_guard.cli import app
from companion_guard.cli.report import DB, HOME, in_force, parse_day, store

filing_app = typer.Typer(
    help="Algorithm filings (A3) and finished security assessments.", no_args_is_help=True
)
app.add_typer(filing_app, name="filing")


@filing_app.command("record")
def record(
    kind: str = typer.Option(
        "initial", "--kind", help="initial, change, annual, cancellation or assessment."
    ),
    reference: str = typer.Option("", "--reference", help="The filing number or submission reference."),
    note: str = typer.Option("", "--note", help="A note."),
    at: str | None = typer.Option(None, "--at", help="When it was submitted (default now)."),
    by: str | None = typer.Option(None, "--by", help="Who submitted it (default: the OS user)."),
    db: str | None = DB,
    home: str | None = HOME,
) -> None:
    """Record a submission; the next filing draft lists the changes since it."""
    from companion_guard.reports import filing
    from companion_guard.store import session_scope

    when = parse_day(at) or datetime.now(UTC)
    with store(db, home) as (settings, sessions):
        packs, registry, _ = in_force(settings)
        with session_scope(sessions) as session:
            try:
                row = filing.record(
                    session,
                    kind=kind,
                    reference=reference,
                    note=note,
                    by=by or getpass.getuser(),
                    at=when,
                    packs=packs,
                    registry=registry,
                )
            except ValueError as exc:
                raise typer.BadParameter(str(exc)) from exc
            typer.echo(
                json.dumps(
                    {
                        "id": row.id,
                        "kind": row.kind,
                        "reference": row.reference,
                        "submitted_at": row.submitted_at.isoformat() + "Z",
                    },
                    ensure_ascii=False,
                )
            )


@filing_app.command("list")
def listing(db: str | None = DB, home: str | None = HOME) -> None:
    """Every recorded filing, newest first."""
    from sqlalchemy import select

    from companion_guard.store import session_scope
    from companion_guard.store.tables_reports import FilingRecord

    with store(db, home) as (_, sessions), session_scope(sessions) as session:
        for row in session.scalars(select(FilingRecord).order_by(FilingRecord.submitted_at.desc())):
            typer.echo(
                f"{row.id}\t{row.kind}\t{row.reference}\t{row.submitted_at.isoformat()}Z\t{row.recorded_by}"
            )
