"""``companion-guard audit verify``: check the hash-chained audit log (D1)."""

from __future__ import annotations

import json

import typer

from companion_guard.cli import app

audit_app = typer.Typer(help="The append-only audit log (D1).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(
    db: str | None = typer.Option(None, "--db", help="Database URL (default: embedded SQLite)."),
    home: str | None = typer.Option(None, "--home", help="Folder of the embedded default's files."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Walk the audit log's hash chain; exit 1 if any entry was edited, removed or cut off."""
    from companion_guard.rights import audit
    from companion_guard.settings import load_settings
    from companion_guard.store import make_engine, make_sessionmaker, session_scope

    settings = load_settings(db_url=db, home=home)
    engine = make_engine(settings.resolved_db_url())
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            report = audit.verify(session)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    elif report.ok:
        typer.echo(f"audit log OK: {report.entries} entries, head {report.head_seq} {report.head_hash}")
    else:
        typer.echo(
            f"audit log BROKEN: {len(report.problems)} problem(s) in {report.entries} entries", err=True
        )
        for p in report.problems:
            typer.echo(f"  entry {p.seq}: {p.kind}: {p.detail}", err=True)
    if not report.ok:
        raise typer.Exit(1)
