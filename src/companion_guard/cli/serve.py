"""``companion-guard serve``: run the gateway."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from companion_guard.cli import app
from companion_guard.exceptions import ConfigError
from companion_guard.logs import configure_logging
from companion_guard.metrics import MULTIPROC_ENV
from companion_guard.settings import load_settings

#: Seconds an idle keep-alive connection stays open. uvicorn's 5 s default races busy clients that
#: reuse a connection just as it closes (a ReadError in the soak); load balancers keep theirs longer.
KEEP_ALIVE = 75


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: SQLite in --home)."),
    upstream: str | None = typer.Option(None, help="demo, demo:unsafe, or an OpenAI-compatible base URL."),
    upstream_key: str | None = typer.Option(
        None, envvar="COMPANION_GUARD_UPSTREAM_API_KEY", help="Upstream API key."
    ),
    sandbox: bool = typer.Option(False, "--sandbox", help="Expose POST /v1/sandbox/clock (testing only)."),
    home: Path | None = typer.Option(None, help="Folder for the embedded default's files."),
    pack: list[str] | None = typer.Option(None, "--pack", help="Policy pack id or YAML path (repeatable)."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes; all state lives in the database."),
    log_format: str | None = typer.Option(
        None, "--log-format", help="text (default) or json: one object per line."
    ),
    verbose: bool = typer.Option(False, "--verbose", help="Log INFO and up: migrations, access log."),
) -> None:
    """Start the gateway: OpenAI-compatible chat completions through the guard."""
    try:
        settings = load_settings(
            db_url=db,
            upstream=upstream,
            upstream_api_key=upstream_key,
            sandbox=sandbox or None,
            home=home,
            policy_packs=pack or None,
            log_format=log_format,
            verbose=verbose or None,
        )
        configure_logging(fmt=settings.log_format, verbose=settings.verbose)
        from companion_guard.service.app import build_services, create_app

        # Validate config, migrate and make the first key before binding the port (fail closed).
        svc = build_services(settings)
        svc.engine.dispose()
    except (ConfigError, ValidationError, ValueError) as exc:
        typer.secho(f"companion-guard: configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    key = svc.new_provider_key
    if key:
        typer.secho(f"first start: provider API key {key}", fg="yellow")
    key_source = "COMPANION_GUARD_API_KEY" if settings.api_key else f"{settings.home}/provider-key"
    typer.echo(
        f"companion-guard on http://{host}:{port}/v1 · key {key_source} · db {_masked(settings.resolved_db_url())}"
        f" · upstream {settings.upstream} · {workers} worker(s)"
        f" · pages http://{host}:{port}/ (/console, /guardian, /me)"
    )
    level = "info" if settings.verbose else "warning"
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level=level,
            log_config=None,
            access_log=settings.verbose,
            timeout_keep_alive=KEEP_ALIVE,
        )
        return
    if settings.sandbox:
        typer.secho(
            "--sandbox needs a single worker (the sandbox clock lives in the process)", fg="red", err=True
        )
        raise typer.Exit(2)
    # Workers build their settings from the environment: hand them what the flags said.
    for name, value in settings.model_dump(mode="json", exclude_none=True).items():
        os.environ[f"COMPANION_GUARD_{name.upper()}"] = (
            json.dumps(value) if isinstance(value, list) else str(value)
        )
    # One /metrics for all workers: prometheus-client's multiprocess mode, in a fresh folder.
    metrics_dir = Path(settings.home) / f"metrics-{os.getpid()}"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(metrics_dir)
    try:
        uvicorn.run(
            "companion_guard.service.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=level,
            log_config=None,
            access_log=settings.verbose,
            timeout_keep_alive=KEEP_ALIVE,
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _masked(url: str) -> str:
    """The database URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - printing the start line must not fail
        return url.split("@")[-1]
