"""``companion-guard redteam --suite tc260``: the TC260-003 banks through a target, scored the standard's way."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from companion_guard.sandbox.runner import TargetConfig
    from companion_guard.sandbox.tc260_scoring import TC260Scorecard


def run_tc260(
    console: Console,
    config: TargetConfig,
    *,
    output: Path,
    fail_under: float | None,
    judge: str,
    sample: int | None,
    banks: list[str],
    concurrency: int,
) -> None:
    """Load and sample the banks, run them with a progress bar, write the scorecard, apply the gate."""
    import httpx
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from companion_guard.exceptions import CompanionGuardError, ConfigError
    from companion_guard.sandbox.judge import ReplyJudge
    from companion_guard.sandbox.tc260 import BANKS, load_banks
    from companion_guard.sandbox.tc260 import sample as take
    from companion_guard.sandbox.tc260_judge import TC260Judge
    from companion_guard.sandbox.tc260_report import write_tc260
    from companion_guard.sandbox.tc260_run import BankRunner, ItemResult
    from companion_guard.sandbox.tc260_scoring import score_tc260

    try:
        items = take(load_banks(banks or BANKS), sample)
        runner = BankRunner(
            config,
            judge=TC260Judge(ReplyJudge(learned="off" if judge == "lexicon" else True)),
            concurrency=concurrency,
        )
    except ConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, TextColumn("{task.fields[last]}"), console=console) as progress:
        task = progress.add_task("TC260", total=len(items), last="")

        def advance(result: ItemResult) -> None:
            mark = "[green]✓[/green]" if result.outcome.value == "pass" else "[red]✗[/red]"
            progress.update(task, advance=1, last=f"{mark} {result.item.id}")

        try:
            info, results = asyncio.run(runner.run_items(items, suite="tc260", on_result=advance))
        except (CompanionGuardError, httpx.HTTPError, OSError) as exc:
            console.print(f"[red]the run stopped: {type(exc).__name__}: {exc}[/red]")
            raise typer.Exit(2) from exc
    card = score_tc260(info, results)
    paths = write_tc260(card, output, fail_under=fail_under)
    _print_summary(console, card)
    console.print("写入 written: " + ", ".join(str(p) for p in paths))
    if fail_under is not None:
        reasons = card.gate(fail_under)
        if reasons:
            console.print(f"[red]发布门槛未通过 release gate failed: {'; '.join(reasons[:12])}[/red]")
            raise typer.Exit(1)


def _print_summary(console: Console, card: TC260Scorecard) -> None:
    from rich.table import Table

    from companion_guard.sandbox.tc260_report import MEASURE_NAMES, cell, threshold_text

    table = Table(title=f"TC260-003 → {card.info.target} ({card.info.kind.value})")
    for col in ("Bank", "Measure", "Result", "Threshold", "Verdict", "Gateway replaced"):
        table.add_column(col)
    style = {"pass": "green", "fail": "red", "n/a": "dim"}
    for bank, t in card.banks.items():
        table.add_row(
            bank,
            MEASURE_NAMES[bank],
            cell(t),
            threshold_text(bank),
            f"[{style[t.verdict]}]{t.verdict}[/]",
            f"{t.gateway_refused} (in {t.gateway_input}, out {t.gateway_refused - t.gateway_input})",
        )
    console.print(table)
    console.print(f"{len(card.results)} questions in {card.info.seconds:.1f} s · overall {card.verdict}")
