"""A pack's content-security taxonomy (TC260-003 Appendix A) as tables: for ``companion-guard taxonomy`` and docs."""

from __future__ import annotations

from typing import Any

from companion_guard.policy.schema import Coverage, PolicyPack

#: How each coverage reads in the tables.
COVERAGE_TEXT = {
    Coverage.COVERED: "covered",
    Coverage.PARTIAL: "partial",
    Coverage.OUT_OF_SCOPE: "out of scope",
}


def rows(pack: PolicyPack, standard: str = "tc260-003") -> list[dict[str, Any]]:
    """Each risk with the rules of the pack that act on its categories."""
    out = []
    for risk in pack.taxonomy.get(standard, []):
        rules = sorted({r.id for r in pack.rules for c in risk.categories if c in r.categories})
        out.append(
            {
                "code": risk.code,
                "zh": risk.zh,
                "en": risk.en,
                "requirements": risk.requirements,
                "categories": risk.categories,
                "rules": rules,
                "coverage": risk.coverage.value,
                "note": risk.note,
            }
        )
    return out


def markdown(pack: PolicyPack, standard: str = "tc260-003") -> str:
    """The mapping as a Markdown table, risk by risk."""
    lines = [
        "| code | risk | requirements | signal categories | coverage | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows(pack, standard):
        cats = ", ".join(f"`{c}`" for c in r["categories"]) or "–"
        lines.append(
            f"| {r['code']} | {r['zh']} — {r['en']} | {', '.join(r['requirements'])} | {cats} | "
            f"{COVERAGE_TEXT[Coverage(r['coverage'])]} | {r['note'] or ''} |"
        )
    return "\n".join(lines) + "\n"
