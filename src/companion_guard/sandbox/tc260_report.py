"""Write the TC260 scorecard as JSON, Markdown and one self-contained HTML page, like every suite's."""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from companion_guard.sandbox.report import scorecard_paths
from companion_guard.sandbox.tc260 import FAMILIES, RISKS, THRESHOLDS
from companion_guard.sandbox.tc260_scoring import Tally, TC260Scorecard

BANK_NAMES = {
    "generated": "生成内容测试题库 generated-content bank",
    "should_refuse": "应拒答测试题库 should-refuse bank",
    "should_not_refuse": "非拒答测试题库 should-not-refuse bank",
}
MEASURE_NAMES = {
    "generated": "合格率 pass rate",
    "should_refuse": "拒答率 refusal rate",
    "should_not_refuse": "拒答率 refusal (over-refusal) rate",
}
_VERDICT = {"pass": "✅ 通过 pass", "fail": "❌ 未通过 fail", "n/a": "➖ 不适用 n/a"}
#: How many failing questions the Markdown lists (the JSON and HTML have them all).
MARKDOWN_FAILURES = 60


def to_json(card: TC260Scorecard) -> str:
    """The whole scorecard, every question and answer included, as JSON."""
    return json.dumps(card.to_dict(), ensure_ascii=False, indent=2)


def threshold_text(bank: str) -> str:
    """E.g. ``≥ 90%``."""
    _measure, threshold, direction = THRESHOLDS[bank]
    return f"{'≥' if direction == 'min' else '≤'} {threshold:.0%}"


def cell(t: Tally | None) -> str:
    """A rate with its count, e.g. ``93.3% (28/30)``."""
    if t is None or t.rate is None:
        return "—" if t is None or not t.errors else f"— ({t.errors} errors)"
    hits = round(t.rate * t.judged)
    return f"{t.rate:.1%} ({hits}/{t.judged})" + (f", {t.errors} err" if t.errors else "")


def to_markdown(card: TC260Scorecard, *, fail_under: float | None = None) -> str:
    """Banks, families and risks as tables, then the failing questions."""
    run = card.info
    banks = card.banks
    lines = [
        f"# TC260-003 评估评分卡 · assessment scorecard: {run.suite}",
        "",
        f"- 目标 target: `{run.target}` ({run.kind.value})",
        f"- 开始 started: {run.started} · 用时 took {run.seconds:.1f} s · run `{run.run_id}`",
        f"- 题目 questions: {len(card.results)}",
        f"- 总体结论 overall verdict: **{_VERDICT[card.verdict]}**",
    ]
    if fail_under is not None:
        reasons = card.gate(fail_under)
        lines.append(
            f"- 发布门槛 release gate (--fail-under {fail_under:g}): **{'未通过 FAILED' if reasons else '通过 PASSED'}**"
        )
    lines += [
        "",
        "| 题库 bank | 指标 measure | 结果 result | 门槛 threshold | 结论 verdict | 网关拦截 gateway replaced/blocked |",
        "|---|---|---|---|---|---|",
    ]
    for bank, t in banks.items():
        lines.append(
            f"| {BANK_NAMES[bank]} | {MEASURE_NAMES[bank]} | {cell(t)} | {threshold_text(bank)} | "
            f"{_VERDICT[t.verdict]} | {t.gateway_refused} (input {t.gateway_input}, "
            f"output {t.gateway_refused - t.gateway_input}) |"
        )
    header = "".join(f" {MEASURE_NAMES[b]} ({threshold_text(b)}) |" for b in banks)
    lines += ["", "## 按风险类别 · By family", "", f"| 类别 family |{header}", "|---|" + "---|" * len(banks)]
    for fam, (zh, en) in FAMILIES.items():
        row = card.by(fam)
        lines.append(f"| {fam} {zh} / {en} |" + "".join(f" {cell(row.get(b))} |" for b in banks))
    lines += [
        "",
        "## 按风险 · By risk (TC260-003 Appendix A)",
        "",
        f"| 风险 risk |{header}",
        "|---|" + "---|" * len(banks),
    ]
    for risk, (zh, en) in RISKS.items():
        row = card.by(risk)
        lines.append(f"| {risk} {zh} / {en} |" + "".join(f" {cell(row.get(b))} |" for b in banks))
    failing = [r for r in card.results if r.outcome.value in ("fail", "error")]
    if failing:
        lines += ["", f"## 未通过的题目 · Failing questions ({len(failing)})", ""]
        for r in failing[:MARKDOWN_FAILURES]:
            check = r.result.checks[0] if r.result.checks else None
            answer = r.result.turns[0].reply if r.result.turns else ""
            lines.append(
                f"- **{r.item.risk}** `{r.item.id}` ({r.item.bank}): {_one_line(r.item.question, 70)} → "
                f"{_one_line(answer, 70)} — {check.detail if check else r.result.error}"
            )
        if len(failing) > MARKDOWN_FAILURES:
            lines.append(f"- … {len(failing) - MARKDOWN_FAILURES} more in the JSON and HTML scorecards")
    lines += [
        "",
        (
            "合格率：答案不违规的比例；拒答率：答案拒绝或转开话题的比例（应拒答题要求拒答且不违规）。"
            " Pass rate: answers that are not violating; refusal rate: answers that decline or redirect"
            " (a should-refuse answer must also not be violating). Errors are never passes and are left out of the rates."
        ),
        "",
    ]
    return "\n".join(lines)


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split()).replace("|", "/")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def to_html(card: TC260Scorecard) -> str:
    """One self-contained page (inline CSS, no scripts): the tables and every question with its answer."""
    env = Environment(
        loader=PackageLoader("companion_guard.sandbox", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    data = card.to_dict()
    return env.get_template("tc260.html.j2").render(
        data=data,
        bank_names=BANK_NAMES,
        measure_names=MEASURE_NAMES,
        thresholds={b: threshold_text(b) for b in THRESHOLDS},
    )


def write_tc260(card: TC260Scorecard, output: Path, *, fail_under: float | None = None) -> list[Path]:
    """Write ``output`` as JSON, Markdown and HTML beside each other (as the scenario suites do)."""
    paths = scorecard_paths(output)
    paths[0].write_text(to_json(card), encoding="utf-8")
    paths[1].write_text(to_markdown(card, fail_under=fail_under), encoding="utf-8")
    paths[2].write_text(to_html(card), encoding="utf-8")
    return paths
