"""``companion-guard eval``: measure the detectors on labelled sets and print the figures."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from companion_guard.cli import app

if TYPE_CHECKING:
    from companion_guard.evaluation.runner import Result


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def render_markdown(
    results: Sequence[Result],
    lat: dict[str, dict[str, float]],
    *,
    mode: str,
    min_level: str,
    pii: dict[str, tuple[float, int]] | None = None,
) -> str:
    """The README table: one row per signal and set, then evasion and latency."""
    lines = [
        (
            f"Detector quality (learned tier: `{mode}`, flagged = level ≥ {min_level}; "
            "measured by `companion-guard eval`):"
        ),
        "",
        "| signal | set | n+ | precision | recall | F1 | FPR (same set) | FPR (negative pools) | goal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        pools = "; ".join(f"{k} {_pct(v)} (n={n})" for k, (v, n) in r.pool_fpr.items()) or "–"
        lines.append(
            f"| `{r.signal}` | {r.set_name} | {r.n_pos} | {_num(r.precision)} | {_num(r.recall)} | {_num(r.f1)} "
            f"| {_pct(r.fpr)} | {pools} | {r.goal or '–'} |"
        )
    names = sorted({k for r in results for k in r.evasion})
    if names:
        lines += [
            "",
            "Recall under evasion (same positives, transformed):",
            "",
            "| signal | set | clean | " + " | ".join(names) + " |",
            "|---|---|---|" + "---|" * len(names),
        ]
        for r in results:
            if r.evasion:
                cells = " | ".join(f"{r.evasion[n]:.3f}" for n in names)
                lines.append(f"| `{r.signal}` | {r.set_name} | {r.recall:.3f} | {cells} |")
    if pii:
        lines += [
            "",
            "PII spans found (MultiPriv-PII paragraphs, value inside an evidence span):",
            "",
            "| signal | recall | n |",
            "|---|---|---|",
        ]
        lines += [f"| `{k}` | {r:.3f} | {n} |" for k, (r, n) in pii.items()]
    if lat:
        lines += [
            "",
            "Latency per message, one process, one encoder thread:",
            "",
            "| tier | p50 ms | p99 ms | mean ms | messages/s |",
            "|---|---|---|---|---|",
        ]
        for name, m in lat.items():
            lines.append(
                f"| {name} | {m['p50_ms']:.3f} | {m['p99_ms']:.3f} | {m['mean_ms']:.3f} | {m['msgs_per_s']:.0f} |"
            )
    return "\n".join(lines) + "\n"


@app.command("eval")
def eval_command(
    data: Annotated[
        Path | None, typer.Option(help="folder with the labelled sets (formats of ../shared/data)")
    ] = None,
    user_corpus: Annotated[
        list[Path] | None,
        typer.Option(
            help="held-out user-side corpus file(s) (training/corpus/user/u4.jsonl): crisis figures"
        ),
    ] = None,
    reply_corpus: Annotated[
        list[Path] | None,
        typer.Option(help="held-out reply corpus file(s) (training/corpus/reply/r3.jsonl): reply figures"),
    ] = None,
    prohibited_corpus: Annotated[
        list[Path] | None,
        typer.Option(
            help="held-out prohibited-content corpus file(s) (training/corpus/prohibited/t3.jsonl); "
            "with --data also ChineseHarm-Bench and DiaSafety val"
        ),
    ] = None,
    learned: Annotated[
        str,
        typer.Option(
            help="learned tier: off, cascade, always, or per direction: input=cascade,output=always"
        ),
    ] = "off",
    min_level: Annotated[str, typer.Option(help="lowest level that counts as flagged")] = "medium",
    limit: Annotated[int | None, typer.Option(help="at most this many texts per set and pool")] = None,
    evasion: Annotated[
        bool, typer.Option(help="also measure recall on evasion-transformed positives")
    ] = True,
    latency_sample: Annotated[int, typer.Option(help="messages timed per tier (0: skip)")] = 300,
    cache: Annotated[
        Path | None, typer.Option(help="SQLite file that caches embeddings between runs")
    ] = None,
    markdown: Annotated[Path | None, typer.Option(help="write the README table to this file")] = None,
) -> None:
    """Per signal precision, recall, F1, false-positive rate on negative pools, evasion recall and latency.

    评测检测器：按信号输出精确率、召回率、F1、负样本误报率、对抗改写后的召回率与延迟。
    """
    from companion_guard.detectors.base import DetectionContext
    from companion_guard.evaluation.runner import build_tasks, latency, make_registry, precompute, run_task
    from companion_guard.types import Direction, RiskLevel

    if prohibited_corpus:
        _prohibited_figures(prohibited_corpus, data, learned, limit, markdown)
        return
    if user_corpus or reply_corpus:
        _corpus_figures(user_corpus or [], reply_corpus or [], learned, markdown if data is None else None)
        if data is None:
            return
    if data is None:
        raise typer.BadParameter("give --data, --user-corpus or --reply-corpus")
    if not data.is_dir():
        raise typer.BadParameter(f"数据目录不存在 / no such folder: {data}")
    level = RiskLevel.parse(min_level)
    tasks, skipped = build_tasks(data, limit=limit)
    for name in skipped:
        typer.echo(f"skipped (not in {data}): {name}")
    if not tasks:
        raise typer.Exit(1)
    encoder = None
    if learned != "off":
        from companion_guard.evaluation.runner import all_texts

        encoder = precompute(all_texts(tasks, evasion=evasion), cache, progress=typer.echo)
    registry = make_registry(learned, encoder)
    results = []
    for task in tasks:
        r = run_task(registry, task, min_level=level, evasion=evasion)
        results.append(r)
        pools = ", ".join(f"{k} FPR {_pct(v)}" for k, (v, _) in r.pool_fpr.items())
        ev = " ".join(f"{k}={v:.2f}" for k, v in r.evasion.items())
        typer.echo(
            f"{r.signal:28s} {r.set_name:40s} n+={r.n_pos:5d} P={_num(r.precision)} R={r.recall:.3f} "
            f"F1={_num(r.f1)} FPR={_pct(r.fpr)} {pools}"
        )
        if ev:
            typer.echo(f"{'':28s} evasion recall: {ev}")
    from companion_guard.evaluation.runner import pii_recall

    pii = pii_recall(registry, data, limit=limit)
    for kind, (rate, n) in pii.items():
        typer.echo(f"{kind:28s} MultiPriv-PII span recall {rate:.3f} (n={n})")
    lat: dict[str, dict[str, float]] = {}
    if latency_sample:
        sample = []
        for task in tasks:
            sample += [(t, task.direction) for t in task.pos[:latency_sample] + task.neg[:latency_sample]]
            sample += [(t, task.direction) for pool in task.pools.values() for t in pool[:latency_sample]]
        random.Random(1).shuffle(sample)
        sample = sample[:latency_sample]
        modes = ["off"] + ([learned] if learned != "off" else [])
        for mode in modes:
            reg = make_registry(mode)  # a fresh encoder: no precomputed vectors
            if mode != "off":
                reg.detect("我想死", DetectionContext(direction=Direction.INPUT))  # load the encoder first
            lat["lexicon only" if mode == "off" else f"lexicon + learned ({mode})"] = latency(reg, sample)
        for name, m in lat.items():
            typer.echo(
                f"latency {name:28s} p50 {m['p50_ms']:.3f} ms  p99 {m['p99_ms']:.3f} ms  {m['msgs_per_s']:.0f} msg/s"
            )
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(
            render_markdown(results, lat, mode=learned, min_level=min_level, pii=pii), encoding="utf-8"
        )
        typer.echo(f"wrote {markdown}")


def _corpus_figures(users: list[Path], replies: list[Path], learned: str, markdown: Path | None) -> None:
    """Crisis and reply figures on held-out corpus files, printed and optionally written as Markdown."""
    import json
    import time

    from companion_guard.evaluation.corpus import (
        evaluate_replies,
        evaluate_user,
        reply_markdown,
        user_markdown,
    )
    from companion_guard.evaluation.runner import make_registry

    parts: list[str] = []
    registry = make_registry(learned)
    for path in users:
        t0 = time.perf_counter()
        fig = evaluate_user(registry, _items(path))
        typer.echo(json.dumps(fig.as_dict(), ensure_ascii=False, indent=1))
        typer.echo(f"({fig.n} messages in {time.perf_counter() - t0:.1f} s)")
        parts.append(user_markdown(fig, str(path)))
    if replies:
        from companion_guard.evaluation.guard_for_eval import offline_guard

        guard = offline_guard(registry)
        for path in replies:
            rfig = evaluate_replies(guard, _items(path))
            typer.echo(json.dumps(rfig.as_dict(), ensure_ascii=False, indent=1))
            parts.append(reply_markdown(rfig, str(path)))
    _print_parts(parts, markdown)


def _prohibited_figures(
    paths: list[Path], data: Path | None, learned: str, limit: int | None, markdown: Path | None
) -> None:
    """Prohibited-content figures on held-out corpus files, and on the measure sets when ``data`` is given."""
    import json
    import time

    from companion_guard.evaluation.guard_for_eval import offline_guard
    from companion_guard.evaluation.prohibited import evaluate, measure_sets
    from companion_guard.evaluation.prohibited import markdown as render
    from companion_guard.evaluation.runner import make_registry

    guard = offline_guard(make_registry(learned))
    parts: list[str] = []
    for path in paths:
        t0 = time.perf_counter()
        fig = evaluate(guard, _items(path))
        typer.echo(json.dumps(fig.as_dict(), ensure_ascii=False, indent=1))
        typer.echo(f"({time.perf_counter() - t0:.1f} s)")
        measured = None
        if data is not None and not parts:
            measured = measure_sets(guard, data, limit=limit)
            typer.echo(json.dumps(measured, ensure_ascii=False, indent=1))
        parts.append(render(fig, str(path), measured))
    _print_parts(parts, markdown)


def _items(path: Path) -> list[dict[str, Any]]:
    """The JSONL items of a corpus file, or a clear error naming the file and line."""
    import json

    from companion_guard.lines import split_lines

    if not path.is_file():
        raise typer.BadParameter(f"没有这个文件 / no such file: {path}")
    items: list[dict[str, Any]] = []
    for n, line in enumerate(split_lines(path.read_text(encoding="utf-8")), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise typer.BadParameter(f"{path} line {n}: not JSON ({exc})") from None
        if not isinstance(item, dict) or not isinstance(item.get("text", item.get("reply")), str):
            raise typer.BadParameter(f"{path} line {n}: needs an object with a string `text` (or `reply`)")
        items.append(item)
    return items


def _print_parts(parts: list[str], markdown: Path | None) -> None:
    """Print the Markdown parts and write them to ``markdown`` when given."""
    for part in parts:
        typer.echo(part)
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text("\n".join(parts), encoding="utf-8")
        typer.echo(f"wrote {markdown}")
