"""``companion-guard keys``: make, list and revoke API keys (stored hashed).

API keys are what clients send as ``Authorization: Bearer``; the master key that
encrypts stored data is ``companion-guard master-key`` (:mod:`.masterkey`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from companion_guard.cli import app

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

keys_app = typer.Typer(
    help="API keys that clients send as Bearer (providers, operators, auditors, guardians, users); "
    "not the master key (`master-key`).",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


def _sessions(db: str | None) -> sessionmaker[Session]:
    from companion_guard.settings import load_settings
    from companion_guard.store import make_engine, make_sessionmaker, upgrade

    engine = make_engine(load_settings(db_url=db).resolved_db_url())
    upgrade(engine)
    return make_sessionmaker(engine)


@keys_app.command("create")
def create(
    role: str = typer.Option(..., help="provider, operator, auditor, guardian or user."),
    subject: str | None = typer.Option(None, help="Who the key stands for (guardian or user id)."),
    label: str = typer.Option("", help="A note to recognise the key by."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: embedded SQLite)."),
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from companion_guard.clock import SystemClock
    from companion_guard.service.auth import ROLES, create_key
    from companion_guard.store.db import session_scope

    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}")
    with session_scope(_sessions(db)) as session:
        key = create_key(session, role=role, subject=subject, label=label, now=SystemClock().now())
    typer.echo(key)


@keys_app.command("list")
def list_keys(db: str | None = typer.Option(None, "--db", help="Database URL.")) -> None:
    """List API keys by prefix, role and subject (never the key itself)."""
    from sqlalchemy import select

    from companion_guard.store.db import session_scope
    from companion_guard.store.tables import ApiKey

    with session_scope(_sessions(db)) as session:
        for k in session.scalars(select(ApiKey).order_by(ApiKey.id)):
            state = "revoked" if k.revoked_at else "active"
            typer.echo(f"{k.prefix}…  {k.role:<9} {k.subject or '-':<20} {state:<8} {k.label}")


@keys_app.command("revoke")
def revoke(
    prefix: str = typer.Argument(..., help="The key's first characters as `keys list` shows them."),
    db: str | None = typer.Option(None, "--db", help="Database URL."),
) -> None:
    """Revoke the API key with this prefix."""
    from sqlalchemy import select

    from companion_guard.clock import SystemClock
    from companion_guard.store.db import session_scope
    from companion_guard.store.tables import ApiKey

    with session_scope(_sessions(db)) as session:
        rows = session.scalars(
            select(ApiKey).where(ApiKey.prefix.startswith(prefix), ApiKey.revoked_at.is_(None))
        ).all()
        if len(rows) != 1:
            typer.secho(f"{len(rows)} active keys match {prefix!r}; give a longer prefix", fg="red", err=True)
            raise typer.Exit(1)
        rows[0].revoked_at = SystemClock().now()
    typer.echo("revoked")
