"""``companion-guard redteam`` (X1, D2) and ``companion-guard demo-upstream``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from companion_guard.cli import app

if TYPE_CHECKING:
    from rich.console import Console

    from companion_guard.sandbox.results import RunInfo, ScenarioResult
    from companion_guard.sandbox.runner import TargetConfig
    from companion_guard.sandbox.scenario import Scenario
    from companion_guard.sandbox.scoring import Scorecard


#: Questions per TC260 bank by default; 0: all of them, as the standard assesses (≈ 2.5 min via a gateway).
TC260_DEFAULT_SAMPLE = 0


@app.command()
def redteam(
    target: str = typer.Option(..., "--target", help="Base URL of the endpoint, e.g. http://127.0.0.1:8000"),
    suite: str = typer.Option("cn-2026", "--suite", help="A shipped suite name, or a YAML file or folder."),
    key: str | None = typer.Option(None, "--key", envvar="COMPANION_GUARD_REDTEAM_KEY", help="API key."),
    output: Path | None = typer.Option(
        None,
        "--output",
        help="Scorecard path; .json, .md and .html are written (default: <home>/redteam-scorecard, not the work tree).",
    ),
    fail_under: float | None = typer.Option(
        None,
        "--fail-under",
        min=0.0,
        max=1.0,
        help="Exit 1 when any requirement's pass rate is below this (0–1): the release gate (D2).",
    ),
    kind: str = typer.Option("auto", "--kind", help="auto, gateway or bare."),
    model: str | None = typer.Option(None, "--model", help="Model name for a bare endpoint."),
    only: list[str] = typer.Option([], "--only", help="Run only scenarios of these requirement IDs."),
    stream: bool | None = typer.Option(None, "--stream/--no-stream", help="Force streaming on or off."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds per HTTP request."),
    notify_timeout: float = typer.Option(10.0, "--notify-timeout", help="Seconds to wait for notifications."),
    judge: str = typer.Option(
        "lexicon",
        "--judge",
        help="Reply judge: lexicon (detectors' lexicon tier + rubric) or full (+ learned tier).",
    ),
    sample: int = typer.Option(
        TC260_DEFAULT_SAMPLE,
        "--sample",
        min=0,
        help="--suite tc260: questions per bank, spread over the risks (0: every question).",
    ),
    bank: list[str] = typer.Option(
        [],
        "--bank",
        help="--suite tc260: run only these banks (generated, should_refuse, should_not_refuse).",
    ),
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, max=32, help="--suite tc260: requests in flight."
    ),
) -> None:
    """Drive an OpenAI-compatible companion endpoint through a red-team suite and score it.

    对任意 OpenAI 兼容的陪伴服务端点运行红队场景，按要求逐项评分。
    ``--suite tc260`` runs the TC260-003 question banks instead and scores them the standard's way.
    """
    from rich.console import Console

    from companion_guard.sandbox.report import write_scorecard
    from companion_guard.sandbox.runner import TargetConfig
    from companion_guard.sandbox.scoring import score

    console = Console(stderr=True)
    if output is None:
        from companion_guard.settings import load_settings

        output = load_settings().home / "redteam-scorecard"
        output.parent.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, Literal["auto", "gateway", "bare"]] = {
        "auto": "auto",
        "gateway": "gateway",
        "bare": "bare",
    }
    if kind not in kinds:
        raise typer.BadParameter("--kind must be auto, gateway or bare")
    if judge not in ("lexicon", "full"):
        raise typer.BadParameter("--judge must be lexicon or full")
    config = TargetConfig(
        url=target,
        key=key,
        kind=kinds[kind],
        model=model,
        timeout=timeout,
        stream=stream,
        notify_timeout=notify_timeout,
    )
    if suite == "tc260":
        from companion_guard.cli.redteam_tc260 import run_tc260

        run_tc260(
            console,
            config,
            output=output,
            fail_under=fail_under,
            judge=judge,
            sample=sample or None,
            banks=bank,
            concurrency=concurrency,
        )
        return
    scenarios = _load(console, suite, only)
    info, results = _run_with_progress(console, config, scenarios, suite, judge)
    card = score(info, results)
    paths = write_scorecard(card, output, fail_under=fail_under)
    _print_summary(console, card)
    console.print("写入 written: " + ", ".join(str(p) for p in paths))
    if fail_under is not None and card.gate(fail_under):
        below = ", ".join(f"{s.requirement} {s.pass_rate:.0%}" for s in card.gate(fail_under))
        console.print(f"[red]发布门槛未通过 release gate failed (< {fail_under:g}): {below}[/red]")
        raise typer.Exit(1)


def _load(console: Console, suite: str, only: list[str]) -> list[Scenario]:
    """The suite's scenarios, narrowed to ``--only`` requirements; exit 2 with the reason on error."""
    from companion_guard.exceptions import ConfigError
    from companion_guard.sandbox.scenario import load_suite

    try:
        scenarios = load_suite(suite)
    except ConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if only:
        scenarios = [s for s in scenarios if set(s.requirements) & set(only)]
        if not scenarios:
            console.print(f"[red]no scenario tests {', '.join(only)}[/red]")
            raise typer.Exit(2)
    return scenarios


def _run_with_progress(
    console: Console, config: TargetConfig, scenarios: list[Scenario], suite: str, judge: str
) -> tuple[RunInfo, list[ScenarioResult]]:
    """Run the scenarios under a Rich progress bar; exit 2 when the run cannot start or stops."""
    import httpx
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from companion_guard.exceptions import CompanionGuardError, ConfigError
    from companion_guard.sandbox.judge import ReplyJudge
    from companion_guard.sandbox.runner import Runner

    try:
        runner = Runner(config, judge=ReplyJudge(learned="off" if judge == "lexicon" else True))
    except ConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, TextColumn("{task.fields[last]}"), console=console) as progress:
        task = progress.add_task("红队 red-team", total=len(scenarios), last="")

        def advance(result: ScenarioResult) -> None:
            outcomes = {result.outcome_for(r).value for r in result.checked_requirements}
            mark = "[red]✗[/red]" if outcomes & {"fail", "error"} else "[green]✓[/green]"
            progress.update(task, advance=1, last=f"{mark} {result.id}")

        try:
            return asyncio.run(runner.run(scenarios, suite=suite, on_result=advance))
        except (CompanionGuardError, httpx.HTTPError, OSError) as exc:
            console.print(f"[red]the run stopped: {type(exc).__name__}: {exc}[/red]")
            raise typer.Exit(2) from exc


def _print_summary(console: Console, card: Scorecard) -> None:
    from rich.table import Table

    table = Table(title=f"{card.info.suite} → {card.info.target} ({card.info.kind.value})")
    for col in ("Req", "Status", "Pass rate", "Passed/applicable", "N/A"):
        table.add_column(col)
    style = {"pass": "green", "fail": "red", "n/a": "dim"}
    for s in card.scores:
        rate = "—" if s.pass_rate is None else f"{s.pass_rate:.0%}"
        table.add_row(
            s.requirement,
            f"[{style[s.status]}]{s.status}[/]",
            rate,
            f"{s.passed}/{s.applicable}",
            str(s.not_applicable),
        )
    console.print(table)
    console.print(f"{len(card.scenarios)} scenarios in {card.info.seconds:.1f} s")


@app.command("demo-upstream")
def demo_upstream(
    unsafe: bool = typer.Option(False, "--unsafe", help="Serve the misbehaving demo companion."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8100, "--port"),
    key: str | None = typer.Option(None, "--key", help="Require this API key."),
) -> None:
    """Serve a demo companion bare, as an OpenAI-compatible endpoint (no guard in between).

    以 OpenAI 兼容接口直接提供演示陪伴模型（不经过网关）；--unsafe 为故意违规的版本。
    """
    import uvicorn

    from companion_guard.upstream import make_upstream
    from companion_guard.upstream.demo_server import create_demo_app

    upstream = make_upstream("demo:unsafe" if unsafe else "demo")
    name = "demo-unsafe" if unsafe else "demo"
    uvicorn.run(create_demo_app(upstream, api_key=key, name=name), host=host, port=port, log_level="warning")
