"""A3: the algorithm-filing draft and the change log since the last recorded filing.

Filing follows the Algorithm Recommendation Provisions (filing, change, cancellation;
annual verification). The draft states the algorithm's name and type, its mechanism,
data and training data, the personas, the safety measures and a self-assessment, and
lists what changed since the last filing recorded with ``companion-guard filing record``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from companion_guard.policy.schema import PolicyPack
from companion_guard.reports import changes, triggers
from companion_guard.reports.assessment import find_datasheet, training_data
from companion_guard.reports.figures import Figures, headline, naive, recorded_period
from companion_guard.reports.render import Section, Table, _md_table
from companion_guard.store import repositories as repo
from companion_guard.store.tables_reports import AssessmentDue, FilingRecord

FILING_KINDS = ("initial", "change", "annual", "cancellation", "assessment")

MECHANISM = {
    "zh": (
        "每一轮对话经过同一条流水线：检查用户输入（检测器给出带等级的信号）→ 策略包决定动作 → 门控（账号状态、监护人同意、"
        "角色限制、休息时间）→ 调用上游陪伴模型（必要时加入引导）→ 在上下文中检查回复（逐句，流式亦然）→ 记录（加密存储、"
        "审计日志、通知发件箱）。危机情形下先提供帮助，再执行任何门控。"
    ),
    "en": (
        "Every turn passes one pipeline: inspect the user's text (detectors give graded signals) → the policy pack "
        "decides actions → gates (account state, guardian consent, persona limits, quiet hours) → the upstream "
        "companion model (steered when needed) → the reply is judged in context (sentence by sentence when "
        "streaming) → record (encrypted store, audit log, notification outbox). In a crisis, help comes before "
        "every gate."
    ),
}


def snapshot(session: Session, *, packs: list[PolicyPack], registry: Any) -> dict[str, Any]:
    """What a filing states about the algorithm now (compared at the next filing)."""
    personas = [
        {
            "id": p.id,
            "display_name": p.display_name,
            "relationship": p.relationship,
            "kind": p.kind or "companion",
            "upstream_model": p.upstream_model,
        }
        for p in repo.list_personas(session)
    ]
    return {
        "pack_version": changes.pack_fingerprint(packs),
        "detector_version": changes.detector_fingerprint(registry),
        "packs": [p.id for p in packs],
        "rules": sorted(r.id for p in packs for r in p.rules),
        "personas": personas,
    }


def last_filing(session: Session) -> FilingRecord | None:
    """The newest filing (not an assessment record)."""
    return session.scalar(
        select(FilingRecord)
        .where(FilingRecord.kind != "assessment")
        .order_by(FilingRecord.submitted_at.desc(), FilingRecord.id.desc())
        .limit(1)
    )


def record(
    session: Session,
    *,
    kind: str,
    reference: str,
    note: str,
    by: str,
    at: datetime,
    packs: list[PolicyPack],
    registry: Any,
) -> FilingRecord:
    """Record a submission; an ``assessment`` record marks the open triggers assessed."""
    if kind not in FILING_KINDS:
        raise ValueError(f"unknown filing kind {kind!r}; one of {', '.join(FILING_KINDS)}")
    row = FilingRecord(
        kind=kind,
        reference=reference,
        note=note,
        submitted_at=naive(at),
        recorded_by=by,
        snapshot=snapshot(session, packs=packs, registry=registry),
    )
    session.add(row)
    session.flush()
    if kind == "assessment":
        for due in session.scalars(select(AssessmentDue).where(AssessmentDue.assessed_at.is_(None))):
            due.assessed_at = naive(at)
    from companion_guard.rights import audit

    audit.append(
        session,
        actor=("operator", by),
        action="filing.record",
        at=at,
        target=f"{kind}:{reference}",
        details={"filing_id": row.id, "kind": kind},
    )
    return row


def _diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for key in ("pack_version", "detector_version"):
        if old.get(key) != new.get(key):
            out.append({"what": key, "from": str(old.get(key)), "to": str(new.get(key))})
    before = {p["id"]: p for p in old.get("personas", [])}
    after = {p["id"]: p for p in new.get("personas", [])}
    for pid in sorted(after.keys() - before.keys()):
        out.append(
            {
                "what": "persona added",
                "from": "",
                "to": f"{pid} ({after[pid]['relationship']}, {after[pid]['kind']})",
            }
        )
    for pid in sorted(before.keys() - after.keys()):
        out.append({"what": "persona removed", "from": pid, "to": ""})
    for pid in sorted(after.keys() & before.keys()):
        if before[pid] != after[pid]:
            out.append({"what": f"persona {pid} changed", "from": str(before[pid]), "to": str(after[pid])})
    rules_added = sorted(set(new.get("rules", [])) - set(old.get("rules", [])))
    rules_removed = sorted(set(old.get("rules", [])) - set(new.get("rules", [])))
    if rules_added or rules_removed:
        out.append({"what": "rules", "from": ", ".join(rules_removed), "to": ", ".join(rules_added)})
    return out


def draft(
    session: Session,
    *,
    packs: list[PolicyPack],
    registry: Any,
    duties: list[Any],
    name: str,
    lang: str = "zh",
    now: datetime,
) -> dict[str, Any]:
    """The filing draft with the change log since the last recorded filing."""
    zh = lang == "zh"
    snap = snapshot(session, packs=packs, registry=registry)
    last = last_filing(session)
    since = last.submitted_at if last is not None else None
    logged = changes.changes_between(session, since, None)
    period = recorded_period(session, None, None)
    figures = headline(Figures(session, period, idle_seconds=packs[0].usage.idle_reset_seconds).all())
    from companion_guard.compliance import build_matrix

    matrix = [{"id": r.id, "status": r.status} for r in build_matrix()]
    return {
        "title": "算法备案材料（草稿）" if zh else "Algorithm filing draft",
        "requirement": "A3",
        "generated_at": now.isoformat(),
        "algorithm": {
            "name": name,
            "type": "生成合成类（拟人化互动）"
            if zh
            else "generation and synthesis (anthropomorphic interaction)",
            "mechanism": MECHANISM["zh" if zh else "en"],
            "pack_version": snap["pack_version"],
            "detector_version": snap["detector_version"],
        },
        "data": training_data(find_datasheet()),
        "personas": snap["personas"],
        "safety_measures": {
            "rules": [
                {"id": r.id, "requirement": r.requirement, "description": r.description}
                for p in packs
                for r in p.rules
            ],
            "detectors": changes.detector_list(registry),
            "duties": [{"id": d.id, "requirements": list(d.requirements)} for d in duties],
        },
        "self_assessment": {
            "figures": figures,
            "matrix": matrix,
            "assessment_due": [triggers.due_view(d) for d in triggers.due(session)],
        },
        "last_filing": None
        if last is None
        else {
            "id": last.id,
            "kind": last.kind,
            "reference": last.reference,
            "submitted_at": last.submitted_at.isoformat() + "Z",
        },
        "changes_since_last_filing": [
            {
                "id": c.id,
                "kind": c.kind,
                "title": c.title,
                "at": c.recorded_at.isoformat() + "Z",
                "by": c.recorded_by,
            }
            for c in logged
        ],
        "differences": _diff(last.snapshot if last is not None else {}, snap) if last is not None else [],
    }


def sections(d: dict[str, Any], lang: str) -> list[Section]:
    """The draft as document sections (Markdown and HTML)."""
    zh = lang == "zh"
    a = d["algorithm"]
    s1 = Section("algorithm", "1. 算法基本情况" if zh else "1. The algorithm")
    s1.facts += [
        ("名称" if zh else "Name", a["name"]),
        ("类型" if zh else "Type", a["type"]),
        ("策略包版本" if zh else "Pack version", a["pack_version"]),
        ("检测模型版本" if zh else "Detector version", a["detector_version"]),
    ]
    s1.notes.append(a["mechanism"])
    s2 = Section("data", "2. 数据与训练数据" if zh else "2. Data and training data")
    data = d["data"]
    if data["summary"]:
        s2.tables.append(("DATASHEET", Table(data["summary"][0], data["summary"][1:])))
    s2.tables.append(
        (
            "models",
            Table(
                ["model", "train_items", "train_writers", "held_out"],
                [
                    [m["model"], m["train_items"], m["train_writers"], m["held_out_writer"]]
                    for m in data["models"]
                ],
            ),
        )
    )
    s3 = Section("personas", "3. 角色" if zh else "3. Personas")
    s3.tables.append(
        (
            "",
            Table(
                ["id", "name", "relationship", "kind"],
                [[p["id"], p["display_name"], p["relationship"], p["kind"]] for p in d["personas"]],
            ),
        )
    )
    s4 = Section("safety", "4. 安全措施" if zh else "4. Safety measures")
    s4.tables.append(
        (
            "rules",
            Table(
                ["id", "req", "description"],
                [[r["id"], r["requirement"], r["description"]] for r in d["safety_measures"]["rules"]],
            ),
        )
    )
    s4.tables.append(
        (
            "duties",
            Table(
                ["id", "req"],
                [[x["id"], ", ".join(x["requirements"])] for x in d["safety_measures"]["duties"]],
            ),
        )
    )
    s5 = Section("self_assessment", "5. 自评估" if zh else "5. Self-assessment")
    s5.tables.append(
        ("figures", Table(["item", "value"], [[k, v] for k, v in d["self_assessment"]["figures"].items()]))
    )
    s5.tables.append(
        ("matrix", Table(["req", "status"], [[m["id"], m["status"]] for m in d["self_assessment"]["matrix"]]))
    )
    s6 = Section("changes", "6. 自上次备案以来的变更" if zh else "6. Changes since the last filing")
    last = d["last_filing"]
    s6.facts.append(
        (
            "上次备案" if zh else "Last filing",
            f"{last['kind']} {last['reference']} {last['submitted_at']}"
            if last
            else ("无" if zh else "none"),
        )
    )
    s6.tables.append(
        (
            "log",
            Table(
                ["#", "kind", "title", "at", "by"],
                [
                    [c["id"], c["kind"], c["title"], c["at"][:19], c["by"]]
                    for c in d["changes_since_last_filing"]
                ],
            ),
        )
    )
    if d["differences"]:
        s6.tables.append(
            (
                "diff",
                Table(["what", "from", "to"], [[x["what"], x["from"], x["to"]] for x in d["differences"]]),
            )
        )
    return [s1, s2, s3, s4, s5, s6]


def to_markdown(d: dict[str, Any], lang: str) -> str:
    """The draft in Markdown."""
    lines = [f"# {d['title']}", "", f"- generated: {d['generated_at']}", ""]
    for sec in sections(d, lang):
        lines += (
            [f"## {sec.title}", ""] + [f"- {k}: {v}" for k, v in sec.facts] + [f"> {n}" for n in sec.notes]
        )
        for caption, table in sec.tables:
            lines += ["", f"**{caption}**" if caption else "", "", *_md_table(table)]
        lines.append("")
    return "\n".join(lines)


def to_html(d: dict[str, Any], lang: str) -> str:
    """The draft as a self-contained HTML page (same template as the assessment report)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from companion_guard.reports.render import t

    env = Environment(
        loader=PackageLoader("companion_guard.reports", "templates"), autoescape=select_autoescape()
    )
    return env.get_template("assessment.html.j2").render(
        report={
            "title": {lang: d["title"]},
            "generated_at": d["generated_at"],
            "generated_by": "",
            "law": "",
            "period": None,
        },
        lang=lang,
        sections=sections(d, lang),
        t=lambda k: t(k, lang),
        headline=None,
    )
