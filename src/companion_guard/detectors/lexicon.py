"""The lexicon tier: rules written as data files, matched by Aho-Corasick.

A lexicon file (YAML, in ``detectors/data/``) holds, per category, terms with a
level and score, plus negation cues and an allow-list. Terms are matched on the
normalised text, so inserted spaces, zero-width characters and full-width letters
do not hide them; evidence maps back to the original text.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import ahocorasick_rs
import yaml

from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.normalize import Normalized, normalize
from companion_guard.exceptions import ConfigError
from companion_guard.types import Direction, Evidence, RiskLevel, Signal

#: How far before a hit (in folded characters) a negation cue cancels it.
NEGATION_WINDOW = 4


@dataclass(frozen=True, slots=True)
class Term:
    """One lexicon entry."""

    category: str
    level: RiskLevel
    score: float
    rule: str


def _fold(term: str) -> str:
    return normalize(term).text


class Lexicon:
    """Compiled terms, negations and allow-list of one lexicon file."""

    def __init__(self, data: dict[str, Any], *, source: str) -> None:
        try:
            self.name = str(data["name"])
            entries: dict[str, Term] = {}
            for category, groups in data["categories"].items():
                for group in groups:
                    level = RiskLevel.parse(group["level"])
                    score = float(group.get("score", 0.5 + 0.1 * int(level)))
                    for raw in group["terms"]:
                        key = _fold(raw)
                        if not key:
                            continue
                        prev = entries.get(key)
                        if prev is None or prev.level < level:
                            entries[key] = Term(category, level, score, raw)
            self.negations = [_fold(n) for n in data.get("negations", [])]
            self.allow = [_fold(a) for a in data.get("allow", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"lexicon {source} is invalid: {exc!r}") from exc
        if not entries:
            raise ConfigError(f"lexicon {source} has no terms")
        self._keys = list(entries)
        self._terms = [entries[k] for k in self._keys]
        self._ac = ahocorasick_rs.AhoCorasick(
            self._keys, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
        )
        self._allow_ac = (
            ahocorasick_rs.AhoCorasick(self.allow, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
            if self.allow
            else None
        )

    def _allowed_spans(self, text: str) -> list[tuple[int, int]]:
        if self._allow_ac is None:
            return []
        return [(s, e) for _, s, e in self._allow_ac.find_matches_as_indexes(text)]

    def _negated(self, text: str, start: int) -> bool:
        window = text[max(0, start - NEGATION_WINDOW) : start]
        return any(n and n in window for n in self.negations)

    def matches(self, norm: Normalized) -> list[tuple[Term, int, int]]:
        """Hits as ``(term, start, end)`` on the folded text, minus allowed and negated ones."""
        text = norm.text
        allowed = self._allowed_spans(text)
        hits: list[tuple[Term, int, int]] = []
        for idx, start, end in self._ac.find_matches_as_indexes(text):
            if any(a <= start and end <= b for a, b in allowed):
                continue
            if self._negated(text, start):
                continue
            hits.append((self._terms[idx], start, end))
        return hits


def load_lexicon(filename: str) -> Lexicon:
    """Load a lexicon shipped in ``companion_guard/detectors/data``."""
    ref = resources.files("companion_guard.detectors").joinpath("data", filename)
    try:
        data = yaml.safe_load(ref.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read lexicon {filename}: {exc}") from exc
    return Lexicon(data, source=filename)


class LexiconDetector(Detector):
    """Turns lexicon hits into one signal per category (strictest hit wins)."""

    lexicon_file: str = ""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon(self.lexicon_file)

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Group hits by category; level and score are those of the strongest hit."""
        by_cat: dict[str, list[tuple[Term, int, int]]] = {}
        for hit in self.lexicon.matches(text):
            by_cat.setdefault(hit[0].category, []).append(hit)
        signals = []
        for category, hits in by_cat.items():
            top = max(hits, key=lambda h: (h[0].level, h[0].score))
            evidence = []
            for term, s, e in hits[:5]:
                o_s, o_e = text.original_span(s, e)
                evidence.append(Evidence(o_s, o_e, text.original[o_s:o_e], term.rule))
            signals.append(
                Signal(
                    category=category,
                    level=top[0].level,
                    score=top[0].score,
                    detector=self.id,
                    evidence=tuple(evidence),
                    explanation=f"lexicon {self.lexicon.name}: {top[0].rule}",
                )
            )
        return signals


__all__ = ["Direction", "Lexicon", "LexiconDetector", "load_lexicon"]
