"""``companion-guard matrix``: print the compliance matrix."""

from __future__ import annotations

from pathlib import Path

import typer

from companion_guard.cli import app


@app.command()
def matrix(
    results: Path = typer.Option(
        Path(".companion-guard/test-results.json"), help="Results the test suite wrote."
    ),
    as_markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown table (for README)."),
    tc260: bool = typer.Option(False, "--tc260", help="The TC260-003 taxonomy with its tests, instead."),
) -> None:
    """Requirement → code → tests → last result, for every ID of the Measures."""
    from rich.console import Console
    from rich.table import Table

    from companion_guard.compliance import build_matrix, markdown

    if tc260:
        from companion_guard.compliance import taxonomy_markdown, taxonomy_matrix

        typer.echo(taxonomy_markdown(taxonomy_matrix(results)))
        return
    rows = build_matrix(results)
    if as_markdown:
        typer.echo(markdown(rows))
        return
    table = Table(title="companion-guard compliance matrix (cn-2026)")
    for col in ("ID", "requirement", "implemented by", "tests", "status"):
        table.add_column(col, overflow="fold")
    colours = {"pass": "green", "fail": "red", "untested": "yellow", "not implemented": "dim"}
    for r in rows:
        table.add_row(
            r.id,
            r.summary,
            "\n".join(r.code) or "—",
            f"{r.passed} passed, {r.failed} failed",
            f"[{colours[r.status]}]{r.status}[/]",
        )
    Console().print(table)
    if not Path(results).is_file():
        typer.secho(
            f"no test results at {results}: run the tests to fill the last column", fg="yellow", err=True
        )
