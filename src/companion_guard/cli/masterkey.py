"""``companion-guard master-key rotate``: rotate the master key that wraps every user's data key (D3).

The master key is neither an API key (``companion-guard keys``) nor a user's data
key. ``keys rotate``, the command's first name, keeps working (README, scripts).
"""

from __future__ import annotations

from pathlib import Path

import typer

from companion_guard.cli import app

master_key_app = typer.Typer(
    help="The master key that wraps every user's data key (D3); not an API key (`keys`).",
    no_args_is_help=True,
)
app.add_typer(master_key_app, name="master-key")


def _keys_group() -> typer.Typer:
    """The API keys' group (``cli.keys``), where the old name ``keys rotate`` lives on."""
    for info in app.registered_groups:
        if info.name == "keys" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help="API keys, and `keys rotate` for the master key.", no_args_is_help=True)
    app.add_typer(group, name="keys")
    return group


@master_key_app.command("rotate")
def rotate(
    db: str | None = typer.Option(None, "--db", help="Database URL (default: embedded SQLite)."),
    home: str | None = typer.Option(
        None, "--home", help="Folder of the embedded default's files (master.key)."
    ),
) -> None:
    """Make a new master key and re-wrap every user's data key under it; the old key is retired."""
    from companion_guard.clock import SystemClock
    from companion_guard.exceptions import ConfigError
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
    except ConfigError as exc:  # no key file, a wrong key: a clear line, nothing changed
        typer.secho(f"companion-guard: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    typer.echo(
        f"master key rotated ({result.source}): new key {result.new_key_id}, "
        f"{result.rewrapped} data key(s) re-wrapped, retired {', '.join(result.old_key_ids) or 'none'}"
    )


_keys_group().command(
    "rotate",
    help="Rotate the MASTER key, not an API key: the same as `companion-guard master-key rotate`.",
)(rotate)
