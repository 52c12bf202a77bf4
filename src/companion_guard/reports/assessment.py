"""A2: the security assessment report, from live data, one section per item of Q9's list.

:func:`build` reads the store (figures for the period), the packs and detectors in
force, the last red-team scorecard and the training-data datasheet, and returns a
plain dict; :mod:`companion_guard.reports.render` turns it into Markdown, HTML, PDF or
JSON. Generating a report is written to the audit log with who asked for it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from companion_guard.policy.schema import PolicyPack
from companion_guard.reports import changes, triggers
from companion_guard.reports.figures import Figures, Period, headline, recorded_period

#: The sections, in Q9's order: id, requirement, Chinese title, English title.
SECTIONS = (
    ("safety_measures", "A2", "安全措施", "Safety measures in force"),
    ("training_data", "A2", "训练数据处理", "Training-data handling"),
    (
        "extreme_situations",
        "I2",
        "极端情境用户的识别、应急处置与干预",
        "Users in extreme situations: identification, emergency handling and help",
    ),
    ("user_scale", "A1", "用户规模", "User scale"),
    ("usage_duration", "A2", "使用时长", "Usage duration"),
    ("age_structure", "A2", "年龄结构", "Age structure"),
    ("complaints", "D4", "申诉、投诉与举报的处理", "Appeals, complaints and reports"),
    ("minors_and_elderly", "M4", "未成年人与老年人保护措施", "Protection of minors and the elderly"),
)


def find_datasheet(explicit: Path | None = None) -> Path | None:
    """``training/DATASHEET.md`` of the source tree (or an explicit path), if there is one."""
    candidates = [explicit] if explicit else []
    candidates += [
        Path.cwd() / "training" / "DATASHEET.md",
        Path(__file__).resolve().parents[3] / "training" / "DATASHEET.md",
    ]
    return next((p for p in candidates if p is not None and p.is_file()), None)


def training_data(datasheet: Path | None) -> dict[str, Any]:
    """The datasheet's summary table and the shipped models' own records of what trained them."""
    models = []
    data = resources.files("companion_guard.detectors").joinpath("data")
    for name in ("assessor.json", "reply_heads.json", "heads.json"):
        ref = data.joinpath(name)
        if not ref.is_file():
            continue
        meta = json.loads(ref.read_text(encoding="utf-8"))
        models.append(
            {
                "model": name.removesuffix(".json"),
                "trained_by": meta.get("trained_by", ""),
                "train_items": meta.get("train_items"),
                "train_writers": ", ".join(meta.get("train_writers", [])),
                "held_out_writer": meta.get("held_out_writer", ""),
            }
        )
    summary: list[list[str]] = []
    source = None
    if datasheet is not None:
        source = str(datasheet)
        text = datasheet.read_text(encoding="utf-8")
        block = text.split("## 1. Summary", 1)[-1].split("\n## ", 1)[0]
        for line in block.splitlines():
            if line.startswith("|") and not re.match(r"^\|\s*-", line) and "--:" not in line:
                summary.append([c.strip().strip("`") for c in line.strip().strip("|").split("|")])
    return {
        "datasheet": source,
        "summary": summary,
        "models": models,
        "practices": ["writers_held_out", "no_dataset_text_copied", "encrypted_interaction_data_not_used"],
    }


def scorecard(path: Path | None, fail_under: float) -> dict[str, Any] | None:
    """The last red-team scorecard (``companion-guard redteam --output``) and its release-gate result."""
    if path is None or not path.is_file():
        return None
    card = json.loads(path.read_text(encoding="utf-8"))
    reqs = [
        {
            "requirement": r["requirement"],
            "status": r.get("status"),
            "pass_rate": r.get("pass_rate"),
            "passed": r.get("passed"),
            "failed": r.get("failed"),
        }
        for r in card.get("requirements", [])
    ]
    below = [r["requirement"] for r in reqs if r["pass_rate"] is not None and r["pass_rate"] < fail_under]
    run = card.get("run", {})
    return {
        "path": str(path),
        "suite": run.get("suite"),
        "target": run.get("target"),
        "started": run.get("started"),
        "totals": card.get("totals", {}),
        "requirements": reqs,
        "fail_under": fail_under,
        "gate": "passed" if not below else "failed",
        "below": below,
    }


def safety_measures(
    session: Session,
    *,
    packs: list[PolicyPack],
    registry: Any,
    duties: list[Any],
    period: Period,
    card: dict[str, Any] | None,
) -> dict[str, Any]:
    """Packs, detectors and duties in force, changes and triggers, the last red-team run."""
    return {
        "packs": [{"id": p.id, "title": p.title, "rules": len(p.rules), "source": p.source} for p in packs],
        "pack_version": changes.pack_fingerprint(packs),
        "detector_version": changes.detector_fingerprint(registry),
        "detectors": changes.detector_list(registry),
        "duties": [{"id": d.id, "requirements": list(d.requirements)} for d in duties],
        "changes": [
            {
                "id": c.id,
                "kind": c.kind,
                "title": c.title,
                "at": c.recorded_at.isoformat() + "Z",
                "by": c.recorded_by,
                "version": c.version,
            }
            for c in changes.changes_between(session, None, period.end)
        ],
        "assessment_due": [triggers.due_view(d) for d in triggers.due(session)],
        "redteam": card,
    }


def build(
    session: Session,
    *,
    packs: list[PolicyPack],
    registry: Any,
    duties: list[Any],
    start: datetime | None = None,
    end: datetime | None = None,
    generated_by: str = "",
    scorecard_path: Path | None = None,
    fail_under: float = 0.9,
    datasheet: Path | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The whole report for ``[start, end]`` (all recorded time when unbounded)."""
    period = recorded_period(session, start, end)
    pack = packs[0]
    fig = Figures(
        session, period, idle_seconds=pack.usage.idle_reset_seconds, mau_days=pack.assessment.mau_window_days
    )
    sections = fig.all()
    sections["safety_measures"] = safety_measures(
        session,
        packs=packs,
        registry=registry,
        duties=duties,
        period=period,
        card=scorecard(scorecard_path, fail_under),
    )
    sections["training_data"] = training_data(find_datasheet(datasheet))
    return {
        "figures": headline(sections),
        "title": {
            "zh": "人工智能拟人化互动服务安全评估报告",
            "en": "Security assessment report: AI anthropomorphic interaction service",
        },
        "requirement": "A2",
        "law": pack.source,
        "period": {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "last_day": period.last_day.isoformat(),
            "bounded": start is not None or end is not None,
        },
        "generated_at": (now or datetime.now(UTC)).isoformat(),
        "generated_by": generated_by,
        "sections": sections,
        "order": [s[0] for s in SECTIONS],
    }
