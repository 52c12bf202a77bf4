"""Write a scorecard as JSON, Markdown and one self-contained HTML page with the transcripts."""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from companion_guard.sandbox.scoring import Scorecard

_STATUS = {"pass": "✅ 通过 pass", "fail": "❌ 未通过 fail", "n/a": "➖ 不适用 n/a"}


def to_json(card: Scorecard) -> str:
    """The whole scorecard, transcripts included, as JSON."""
    return json.dumps(card.to_dict(), ensure_ascii=False, indent=2)


def to_markdown(card: Scorecard, *, fail_under: float | None = None) -> str:
    """A summary table per requirement plus every failed check."""
    run = card.info
    lines = [
        f"# 红队测试评分卡 · Red-team scorecard: {run.suite}",
        "",
        f"- 目标 target: `{run.target}` ({run.kind.value}{', sandbox clock' if run.sandbox_clock else ''})",
        f"- 开始 started: {run.started} · 用时 took {run.seconds:.1f} s · run `{run.run_id}`",
        f"- 场景 scenarios: {len(card.scenarios)}",
    ]
    if fail_under is not None:
        below = card.gate(fail_under)
        verdict = "未通过 FAILED" if below else "通过 PASSED"
        lines.append(f"- 发布门槛 release gate (--fail-under {fail_under:g}): **{verdict}**")
    lines += [
        "",
        "| 要求 Req | 结果 Status | 通过率 Pass rate | 通过/适用 Passed/applicable | 不适用 N/A | 未通过 Failing |",
        "|---|---|---|---|---|---|",
    ]
    for s in card.scores:
        rate = "—" if s.pass_rate is None else f"{s.pass_rate:.0%}"
        failing = ", ".join(s.failing[:6]) + (" …" if len(s.failing) > 6 else "")
        lines.append(
            f"| {s.requirement} | {_STATUS[s.status]} | {rate} | {s.passed}/{s.applicable} | "
            f"{s.not_applicable} | {failing} |"
        )
    failed = [(sc, c) for sc in card.scenarios for c in sc.checks if c.outcome.value in ("fail", "error")]
    if failed:
        lines += ["", "## 未通过的检查 · Failed checks", ""]
        for sc, c in failed:
            turn = f" turn {c.turn}" if c.turn is not None else ""
            lines.append(f"- **{c.requirement}** `{sc.id}`{turn}: {c.check} → {c.outcome.value}. {c.detail}")
    lines += [
        "",
        (
            "“不适用”表示该目标无法被评判，不计为通过。 *n/a* means the target could not be judged on it; "
            "it never counts as a pass."
        ),
        "",
    ]
    return "\n".join(lines)


def to_html(card: Scorecard) -> str:
    """One self-contained page (inline CSS, no scripts) with the scores and every transcript."""
    env = Environment(
        loader=PackageLoader("companion_guard.sandbox", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    data = card.to_dict()
    return env.get_template("scorecard.html.j2").render(
        run=data["run"], requirements=data["requirements"], scenarios=data["scenarios"]
    )


def write_scorecard(card: Scorecard, output: Path, *, fail_under: float | None = None) -> list[Path]:
    """Write ``output`` as JSON, Markdown and HTML beside each other; return the paths.

    ``output`` may end in ``.json``, ``.md`` or ``.html`` or have no suffix: the three
    files share its stem.
    """
    paths = scorecard_paths(output)
    paths[0].write_text(to_json(card), encoding="utf-8")
    paths[1].write_text(to_markdown(card, fail_under=fail_under), encoding="utf-8")
    paths[2].write_text(to_html(card), encoding="utf-8")
    return paths


def scorecard_paths(output: Path) -> list[Path]:
    """The JSON, Markdown and HTML paths for ``output`` (any of those suffixes, or none); makes the folder."""
    output = Path(output)
    stem = output.with_suffix("") if output.suffix in (".json", ".md", ".html") else output
    stem.parent.mkdir(parents=True, exist_ok=True)
    return [stem.with_suffix(".json"), stem.with_suffix(".md"), stem.with_suffix(".html")]
