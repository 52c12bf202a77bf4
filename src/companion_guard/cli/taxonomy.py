"""``companion-guard taxonomy``: which signals and rules serve each risk of a content-security standard."""

from __future__ import annotations

import json

import typer

from companion_guard.cli import app


@app.command()
def taxonomy(
    pack: str = typer.Option("cn-2026", help="Policy pack id or YAML file."),
    standard: str = typer.Option("tc260-003", help="The standard's id in the pack's taxonomy."),
    fmt: str = typer.Option("table", "--format", help="table, md or json."),
) -> None:
    """TC260-003 Appendix A, risk by risk: requirement, signal categories, rules, coverage."""
    from companion_guard.exceptions import ConfigError
    from companion_guard.policy.loader import load_pack
    from companion_guard.policy.taxonomy import markdown, rows

    try:
        loaded = load_pack(pack)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None
    if standard not in loaded.taxonomy:
        raise typer.BadParameter(
            f"pack {loaded.id} has no taxonomy {standard!r}; it has: {', '.join(loaded.taxonomy) or 'none'}"
        )
    if fmt == "json":
        typer.echo(json.dumps(rows(loaded, standard), ensure_ascii=False, indent=1))
    elif fmt == "md":
        typer.echo(markdown(loaded, standard), nl=False)
    elif fmt == "table":
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{standard} → {loaded.id}")
        for col in ("code", "risk", "req", "categories", "coverage"):
            table.add_column(col, overflow="fold")
        for r in rows(loaded, standard):
            table.add_row(
                r["code"], r["zh"], ", ".join(r["requirements"]), ", ".join(r["categories"]), r["coverage"]
            )
        Console().print(table)
    else:
        raise typer.BadParameter("--format is table, md or json")
