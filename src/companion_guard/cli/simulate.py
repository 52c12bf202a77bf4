"""``companion-guard simulate``: synthetic traffic with a known truth, through the real gateway (A2 checks)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from companion_guard.cli import app


@app.command()
def simulate(
    users: int = typer.Option(300, "--users", min=1, help="How many users."),
    days: int = typer.Option(35, "--days", min=1, help="How many days."),
    seed: int = typer.Option(7, "--seed", help="Seed of the plan (same seed, same traffic)."),
    truth: Path = typer.Option(Path("truth.json"), "--truth", help="Where to write the planned figures."),
    start: str = typer.Option(
        "2026-09-01", "--start", help="First simulated day (YYYY-MM-DD, Asia/Shanghai)."
    ),
    db: str | None = typer.Option(
        None, "--db", help="Database URL (default: the configured or embedded store)."
    ),
    home: str | None = typer.Option(None, "--home", help="Folder of the embedded default's files."),
) -> None:
    """Play users, crises, notifications, complaints, help requests, top-ups and persona blocks into the store."""
    from companion_guard.reports.simrun import run
    from companion_guard.reports.simulate import local_start
    from companion_guard.settings import load_settings

    settings = load_settings(db_url=db, home=home)
    result = run(settings, users=users, days=days, seed=seed, start=local_start(date.fromisoformat(start)))
    truth.parent.mkdir(parents=True, exist_ok=True)
    truth.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    run_info = result["run"]
    typer.echo(
        f"simulated {result['plan']['turns']:,} turns of {users} users over {days} days in "
        f"{run_info['seconds']} s; truth in {truth}",
        err=True,
    )
    if run_info["error_count"]:
        typer.echo(f"{run_info['error_count']} steps failed: {run_info['errors'][:5]}", err=True)
        raise typer.Exit(1)
