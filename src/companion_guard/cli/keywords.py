"""``companion-guard keywords``: the TC260-003 keyword library, counted against its minimums."""

from __future__ import annotations

import json

import typer

from companion_guard.cli import app


@app.command()
def keywords(
    output_format: str = typer.Option("table", "--format", help="table (Rich) or json."),
) -> None:
    """Terms per TC260-003 Appendix A risk, the total, and whether each minimum is met."""
    from companion_guard.detectors.builtin.prohibited_keywords import MINIMUM_TOTAL, library_counts

    rows = library_counts()
    total = sum(r["terms"] for r in rows)
    ok = all(r["met"] for r in rows) and total >= MINIMUM_TOTAL
    if output_format == "json":
        typer.echo(
            json.dumps(
                {"risks": rows, "total": total, "minimum_total": MINIMUM_TOTAL, "met": ok},
                ensure_ascii=False,
                indent=2,
            )
        )
    elif output_format == "table":
        from rich.console import Console
        from rich.table import Table

        table = Table(title="TC260-003 keyword library (Appendix A.1 / A.2)")
        for col in ("risk", "category", "files", "high", "medium", "low", "terms", "minimum", "met"):
            numeric = col in ("high", "medium", "low", "terms", "minimum")
            table.add_column(col, justify="right" if numeric else "left", overflow="fold", no_wrap=numeric)
        for r in rows:
            table.add_row(
                r["risk"],
                "\n".join(r["categories"]),
                "\n".join(f.removesuffix(".yaml") for f in r["files"]),
                str(r.get("high", 0)),
                str(r.get("medium", 0)),
                str(r.get("low", 0)),
                str(r["terms"]),
                str(r["minimum"]),
                "[green]yes[/]" if r["met"] else "[red]no[/]",
            )
        table.add_row(
            "total",
            "",
            "",
            str(sum(r.get("high", 0) for r in rows)),
            str(sum(r.get("medium", 0) for r in rows)),
            str(sum(r.get("low", 0) for r in rows)),
            str(total),
            str(MINIMUM_TOTAL),
            "[green]yes[/]" if total >= MINIMUM_TOTAL else "[red]no[/]",
            end_section=True,
        )
        Console().print(table)
    else:
        raise typer.BadParameter("--format is table or json")
    if not ok:
        raise typer.Exit(1)
