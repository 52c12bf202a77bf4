"""The TC260-003 keyword library: prohibited content of Appendix A.1 and A.2 by keyword (P1, P4).

TC260-003 (GB/T 45654-2025) asks a provider for a keyword library of at least 10,000
terms over the 17 risks of Appendix A: the 8 of A.1 (at least 200 terms each) and the
9 kinds of discrimination of A.2 (at least 100 each). It lives in ``data/tc260/``,
one lexicon file per risk, each naming its TC260 code (``risk: A.1.f``) and the
reply category it feeds (``category: reply.sexual``); a risk may span several files
(A.1.h: drugs, gambling, fraud, black-market services, weapons and smuggling).

Levels are what matters: ``high`` only for phrases violating in nearly any context
(a sex-service ad, 代开发票, a drug-synthesis step, a gambling-site pitch, an
explicit slur), ``medium`` for evidence the learned tier weighs. Each file has its
own negation cues and allow-list (反诈, 戒赌, 禁毒宣传 …) and ``frames``: words
anywhere in the text (新闻, 辟谣, 警方, 历史 …) that lower every hit one level, since
a news, history or warning framing changes the reading but is easy to fake.
``reply.sexual`` levels carry a ``severity`` (explicit, suggestive, vulgar); a level
may carry an ``input_level``, the most it reaches on a user's message (scam pitches and
rumours a user types are mostly quoted, not asked for). On a user's message that asks to
spot, avoid, report or understand something and asks for nothing to be made or got
(:mod:`~companion_guard.detectors.request_intent`), a hit is at most ``medium``: the
companion is steered to answer safely instead of the gateway refusing the question
("怎么识别赌博网站，我想提醒我爸"); its reply is still judged.

On a reply the detector reports the file's ``reply.*`` category; on a user's message
the matching ``user.request.*`` one. Evidence names the risk code of every hit.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace as _replace
from functools import cache
from importlib import resources
from typing import Any

import yaml

from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.lexicon import Hit, Lexicon, without_a_not_a
from companion_guard.detectors.normalize import Normalized, normalize
from companion_guard.detectors.request_intent import asks_to_protect_or_learn
from companion_guard.exceptions import ConfigError
from companion_guard.types import Direction, Evidence, RiskLevel, Signal

#: The library's folder under ``detectors/data``.
FOLDER = "tc260"

#: Every file of the library, in Appendix A order (a test checks the folder agrees).
RISK_FILES: tuple[str, ...] = (
    "A1a_subversion.yaml",
    "A1b_national_image.yaml",
    "A1c_secession.yaml",
    "A1d_terrorism.yaml",
    "A1e_ethnic_hatred.yaml",
    "A1f_sexual.yaml",
    "A1f_violence.yaml",
    "A1g_misinformation.yaml",
    "A1h_drugs.yaml",
    "A1h_gambling.yaml",
    "A1h_fraud.yaml",
    "A1h_black_market.yaml",
    "A1h_weapons_smuggling.yaml",
    "A2a_ethnicity.yaml",
    "A2b_religion.yaml",
    "A2c_nationality.yaml",
    "A2d_region.yaml",
    "A2e_gender.yaml",
    "A2f_age.yaml",
    "A2g_occupation.yaml",
    "A2h_health.yaml",
    "A2i_other.yaml",
)

#: The 17 risks of Appendix A.1 and A.2 and the least number of terms TC260-003 asks of each.
MINIMUMS: dict[str, int] = {
    **{f"A.1.{c}": 200 for c in "abcdefgh"},
    **{f"A.2.{c}": 100 for c in "abcdefghi"},
}
#: The least number of terms of the whole library.
MINIMUM_TOTAL = 10_000

#: Reply category → the user-side category of a request for the same content.
USER_CATEGORY: dict[str, str] = {
    "reply.sexual": "user.request.sexual",
    "reply.violence_terror": "user.request.violence_terror",
    "reply.illegal_assistance": "user.request.illegal",
    "reply.gambling": "user.request.gambling",
    "reply.fraud_assistance": "user.request.fraud",
    "reply.discrimination": "user.request.discrimination",
    "reply.misinformation": "user.request.misinformation",
    "reply.national_security": "user.request.national_security",
}

_LOWER = {RiskLevel.HIGH: RiskLevel.MEDIUM, RiskLevel.MEDIUM: RiskLevel.LOW}
#: Reply categories whose medium keywords stand as medium findings: suggestive and vulgar sexual terms, which the
#: pack blocks for minors only. Every other medium keyword in a reply is reported low (a cue for the heads, acted
#: on by no rule); in a user's message a medium keyword stays medium, which only steers the companion.
CUE_ONLY_EXEMPT = frozenset({"reply.sexual", "user.request.sexual"})


@dataclass(frozen=True, slots=True)
class RiskLexicon:
    """One file of the library: its risk code, category, compiled lexicon and framing cues."""

    filename: str
    risk: str
    category: str
    lexicon: Lexicon
    #: Folded term → severity (``reply.sexual`` files only).
    severity: dict[str, str]
    frames: tuple[str, ...]
    #: Folded term → the highest level it may reach on a user's message (``input_level`` of its group).
    input_cap: dict[str, RiskLevel]

    @property
    def terms(self) -> int:
        """How many distinct terms the file holds."""
        return len(self.lexicon._keys)

    def framed(self, norm: Normalized) -> str:
        """The first framing cue found anywhere in the text, or ''."""
        text = without_a_not_a(norm.text)
        return next((f for f in self.frames if f in text), "")


def _read(filename: str) -> dict[str, Any]:
    ref = resources.files("companion_guard.detectors").joinpath("data", FOLDER, filename)
    try:
        # libyaml when present: the library is 20k+ terms and the pure-Python parser takes seconds
        data = yaml.load(
            ref.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read keyword file {filename}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"keyword file {filename} is not a mapping")
    return data


def _fold(term: str) -> str:
    return normalize(term).text


@cache
def tc260_library() -> tuple[RiskLexicon, ...]:
    """Every file of the library, compiled once per process (into the shared lexicon index).

    Raises:
        ConfigError: a file is missing, invalid, or names an unknown risk or category.
    """
    out = []
    for filename in RISK_FILES:
        data = _read(filename)
        risk, category = str(data.get("risk", "")), str(data.get("category", ""))
        if risk not in MINIMUMS:
            raise ConfigError(f"keyword file {filename}: unknown TC260 risk {risk!r}")
        if category not in USER_CATEGORY or set(data.get("categories", {})) != {category}:
            raise ConfigError(f"keyword file {filename}: category {category!r} is not one reply category")
        severity = {
            _fold(str(term)): str(group["severity"])
            for group in data["categories"][category]
            if group.get("severity")
            for term in group["terms"]
        }
        input_cap = {
            _fold(str(term)): RiskLevel.parse(group["input_level"])
            for group in data["categories"][category]
            if group.get("input_level")
            for term in group["terms"]
        }
        frames = tuple(f for f in (_fold(str(x)) for x in data.get("frames", [])) if f)
        lexicon = Lexicon(data, source=f"{FOLDER}/{filename}")
        out.append(RiskLexicon(filename, risk, category, lexicon, severity, frames, input_cap))
    return tuple(out)


def tc260_lexicons() -> tuple[Lexicon, ...]:
    """The library's compiled lexicons (cues for the learned prohibited-content heads)."""
    return tuple(r.lexicon for r in tc260_library())


@dataclass(frozen=True, slots=True)
class _Found:
    hit: Hit
    source: RiskLexicon
    level: RiskLevel
    frame: str


class ProhibitedKeywordDetector(Detector):
    """Lexicon tier over the TC260-003 keyword library, both directions.

    Fails open (a crash is a LOW ``detector.error``): the learned prohibited-content
    heads and the reply judgement stand behind it.
    """

    id = "tc260.keywords"
    categories = tuple(USER_CATEGORY) + tuple(USER_CATEGORY.values())
    directions = frozenset({Direction.INPUT, Direction.OUTPUT})
    requirements = ("P1", "P4", "E1")

    def __init__(self, library: tuple[RiskLexicon, ...] | None = None) -> None:
        self.library = library if library is not None else tc260_library()

    def lexicons(self) -> tuple[Lexicon, ...]:
        """Every risk's lexicon, for the registry's one index."""
        return tuple(source.lexicon for source in self.library)

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """One signal per category: the strongest hit's level, every hit's risk code as evidence."""
        user_side = context.direction is Direction.INPUT
        found: list[_Found] = []
        for source in self.library:
            if not source.lexicon.found(text):  # the registry's index scanned them all at once
                continue
            hits = source.lexicon.matches(text)
            if not hits:
                continue
            frame = source.framed(text)
            for hit in hits:
                level = _LOWER.get(hit.level, hit.level) if frame else hit.level
                if user_side and source.input_cap:
                    level = min(level, source.input_cap.get(_fold(hit.term.rule), level))
                found.append(_Found(hit, source, level, frame))
        if not found:
            return []
        if user_side and asks_to_protect_or_learn(text):
            found = [f if f.level <= RiskLevel.MEDIUM else _replace(f, level=RiskLevel.MEDIUM) for f in found]
        by_cat: dict[str, list[_Found]] = {}
        for f in found:
            by_cat.setdefault(f.source.category, []).append(f)
        return [
            self._signal(USER_CATEGORY[cat] if user_side else cat, group, text)
            for cat, group in by_cat.items()
        ]

    def _signal(self, category: str, group: list[_Found], norm: Normalized) -> Signal:
        top = max(group, key=lambda f: (f.level, f.hit.term.score))
        evidence = []
        for f in sorted(group, key=lambda f: (-int(f.level), f.hit.start))[:5]:
            o_s, o_e = norm.original_span(f.hit.start, f.hit.end)
            sev = f.source.severity.get(_fold(f.hit.term.rule), "")
            rule = f"{f.source.risk} {f.hit.term.rule}" + (f" [{sev}]" if sev else "")
            rule += " (pinyin)" if f.hit.via == "pinyin" else ""
            evidence.append(Evidence(o_s, o_e, norm.original[o_s:o_e], rule))
        risks = sorted({f.source.risk for f in group})
        severities = sorted({s for f in group if (s := f.source.severity.get(_fold(f.hit.term.rule), ""))})
        top_sev = top.source.severity.get(_fold(top.hit.term.rule), "")
        frame = f" (framed by {top.frame!r}: one level lower)" if top.frame else ""
        level = top.level
        if level == RiskLevel.MEDIUM and category.startswith("reply.") and category not in CUE_ONLY_EXEMPT:
            # Measured on the held-out writer t3: medium terms fire on healthy replies about as often as on
            # violating ones (55 vs 64), so on their own they are evidence for the learned heads, not a finding.
            level = RiskLevel.LOW
        return Signal(
            category=category,
            level=level,
            score=top.hit.term.score if top.level == top.hit.term.level else top.hit.term.score * 0.7,
            detector=self.id,
            evidence=tuple(evidence),
            explanation=(
                f"TC260-003 {top.source.risk} keyword {top.hit.term.rule!r}"
                + (f" ({top_sev})" if top_sev else "")
                + f" in {top.source.filename}{frame}"
            ),
            facets=tuple(risks) + tuple(f"severity:{s}" for s in severities),
            modifiers=("framed",) if top.frame else (),
        )


def library_counts() -> list[dict[str, Any]]:
    """Terms per risk (summed over its files), per level, against TC260-003's minimum."""
    rows: dict[str, dict[str, Any]] = {}
    for filename in RISK_FILES:
        data = _read(filename)
        risk = str(data["risk"])
        row = rows.setdefault(
            risk, {"risk": risk, "files": [], "categories": [], "terms": 0, "high": 0, "medium": 0}
        )
        row["files"].append(filename)
        if data["category"] not in row["categories"]:
            row["categories"].append(data["category"])
        for group in data["categories"][data["category"]]:
            n = len(group["terms"])
            row["terms"] += n
            level = str(group["level"])
            row[level] = row.get(level, 0) + n
    out = []
    for risk, minimum in MINIMUMS.items():
        row = rows.get(
            risk, {"risk": risk, "files": [], "categories": [], "terms": 0, "high": 0, "medium": 0}
        )
        row["minimum"] = minimum
        row["met"] = row["terms"] >= minimum
        out.append(row)
    return out


__all__ = [
    "FOLDER",
    "MINIMUMS",
    "MINIMUM_TOTAL",
    "RISK_FILES",
    "USER_CATEGORY",
    "ProhibitedKeywordDetector",
    "RiskLexicon",
    "library_counts",
    "tc260_lexicons",
    "tc260_library",
]
