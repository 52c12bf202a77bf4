"""``companion-guard db upgrade``: apply migrations."""

from __future__ import annotations

import typer

from companion_guard.cli import app
from companion_guard.settings import load_settings

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(
    db: str | None = typer.Option(None, "--db", help="Database URL (default: embedded SQLite)."),
) -> None:
    """Bring the database schema to the newest version."""
    from companion_guard.store import make_engine, upgrade

    settings = load_settings(db_url=db)
    engine = make_engine(settings.resolved_db_url())
    upgrade(engine)
    engine.dispose()
    typer.echo(f"database at {settings.resolved_db_url()} is up to date")
