"""``companion-guard keys rotate``: rotate the master key that wraps every user's data key (D3).

Joins the ``keys`` command group when another module made it, else makes it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from companion_guard.cli import app


def _keys_group() -> typer.Typer:
    for info in app.registered_groups:
        if info.name == "keys" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help="Credentials and encryption keys.", no_args_is_help=True)
    app.add_typer(group, name="keys")
    return group


keys_app = _keys_group()


@keys_app.command("rotate")
def rotate(
    db: str | None = typer.Option(None, "--db", help="Database URL (default: embedded SQLite)."),
    home: str | None = typer.Option(
        None, "--home", help="Folder of the embedded default's files (master.key)."
    ),
) -> None:
    """Make a new master key and re-wrap every user's data key under it; the old key is retired."""
    from companion_guard.clock import SystemClock
    from companion_guard.rights.rotation import rotate as do_rotate
    from companion_guard.rights.setup import KEY_FILE_NAME
    from companion_guard.settings import load_settings
    from companion_guard.store import make_engine, make_sessionmaker, upgrade

    settings = load_settings(db_url=db, home=home)
    engine = make_engine(settings.resolved_db_url())
    try:
        upgrade(engine)
        result = do_rotate(
            make_sessionmaker(engine),
            key_file=Path(settings.home) / KEY_FILE_NAME,
            clock=SystemClock(),
            env=settings.key_env(),
        )
    finally:
        engine.dispose()
    typer.echo(
        f"master key rotated ({result.source}): new key {result.new_key_id}, "
        f"{result.rewrapped} data key(s) re-wrapped, retired {', '.join(result.old_key_ids) or 'none'}"
    )
