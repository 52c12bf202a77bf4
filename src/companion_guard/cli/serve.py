"""``companion-guard serve``: run the gateway."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import typer
from pydantic import ValidationError
import uvicorn

from companion_guard.cli import app
from companion_guard.exceptions import ConfigError
from companion_guard.settings import load_settings


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: SQLite in --home)."),
    upstream: str | None = typer.Option(None, help="demo, demo:unsafe, or an OpenAI-compatible base URL."),
    upstream_key: str | None = typer.Option(None, envvar="COMPANION_GUARD_UPSTREAM_API_KEY", help="Upstream API key."),
    sandbox: bool = typer.Option(False, "--sandbox", help="Expose POST /v1/sandbox/clock (testing only)."),
    home: Path | None = typer.Option(None, help="Folder for the embedded default's files."),
    pack: list[str] | None = typer.Option(None, "--pack", help="Policy pack id or YAML path (repeatable)."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes; all state lives in the database."),
) -> None:
    """Start the gateway: OpenAI-compatible chat completions through the guard."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(
            db_url=db, upstream=upstream, upstream_api_key=upstream_key, sandbox=sandbox or None, home=home,
            policy_packs=pack or None,
        )
        from companion_guard.service.app import build_services, create_app

        # Validate config, migrate and make the first key before binding the port (fail closed).
        svc = build_services(settings)
        svc.engine.dispose()
    except (ConfigError, ValidationError) as exc:
        typer.secho(f"companion-guard: configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    key = svc.extras.get("new_provider_key")
    if key:
        typer.secho(f"Provider API key (also in {settings.home}/provider-key): {key}", fg="yellow")
    typer.echo(f"companion-guard on http://{host}:{port}/v1 — upstream {settings.upstream}, db {settings.resolved_db_url()}")
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
        return
    if settings.sandbox:
        typer.secho("--sandbox needs a single worker (the sandbox clock lives in the process)", fg="red", err=True)
        raise typer.Exit(2)
    # Workers build their settings from the environment: hand them what the flags said.
    for name, value in settings.model_dump(mode="json").items():
        os.environ[f"COMPANION_GUARD_{name.upper()}"] = json.dumps(value) if isinstance(value, list) else str(value)
    uvicorn.run("companion_guard.service.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning")
