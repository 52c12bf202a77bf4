"""The lexicon tier: rules written as data files, matched by Aho-Corasick.

A lexicon file (YAML, in ``detectors/data/``) holds, per category, groups of terms
with a level and score, and per file: negation cues, third-person cues, an
allow-list (hyperbole and look-alikes such as 笑死, 紫砂壶) and optional context
words. Terms are matched twice, on the folded characters and on their toneless
pinyin (so 紫砂 and "zi sha" meet 自杀), and every hit maps back to the original
text. File format::

    name: crisis
    categories:
      user.suicide_intent:
        - level: critical          # none | low | medium | high | critical
          score: 0.95
          pinyin: true             # also match in pinyin space (default: terms of 3+ Han chars)
          homophones: false        # two-syllable Han homophones count too (default: only typed pinyin)
          context: [死, 活]        # optional: only counts if one of these is in the text
          terms: [我想自杀, ...]
    negations: [不会, ...]         # cue just before a hit, same clause → hit dropped
    negation_window: 4             # how many folded characters before a hit a cue may sit
    third_person: [朋友, ...]      # cue before a hit, same clause, no 我 after it → level lowered
    third_person_level: medium
    allow: [紫砂壶, 笑死, ...]     # a hit inside one of these is dropped

Categories starting with ``_`` are internal cues a detector uses (e.g. farewells);
they never leave the detector as signals.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any, ClassVar, cast

import ahocorasick_rs
import yaml

from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.normalize import Normalized, normalize, to_syllables
from companion_guard.exceptions import ConfigError
from companion_guard.types import Direction, Evidence, RiskLevel, Signal

#: How many folded characters before a hit a negation cue may sit.
NEGATION_WINDOW = 4
#: How many original characters before a hit the clause window looks at.
CLAUSE_WINDOW = 16
#: English takes about three characters for one Chinese one: its clause window is this many times longer.
LATIN_WINDOW_FACTOR = 3
_CLAUSE_BREAK = re.compile(r"[，。！？,.!?；;\n…~～、：:]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z]")
#: A term written in Latin letters only (with digits, spaces, apostrophes): it must match whole words.
#: An A-not-A question (能不能, 可不可以, 是不是, 有没有).
_A_NOT_A = re.compile(r"(.)[不没]\1")


def without_a_not_a(text: str) -> str:
    """``text`` with its A-not-A questions blanked: the 不能 of 能不能 or the 不是 of 是不是 negates nothing."""
    return _A_NOT_A.sub("?", text)


_LATIN_TERM = re.compile(r"(?=.*[a-z])[a-z0-9' ]+")


def _latin_letter(ch: str) -> bool:
    folded = unicodedata.normalize("NFKC", ch)
    return len(folded) == 1 and folded.isascii() and folded.isalpha()


def _on_word_edges(norm: Normalized, start: int, end: int) -> bool:
    """Whether a match of a Latin term starts and ends a word in what was written.

    Why: folding deletes spaces and punctuation, so "sb" would otherwise match
    "things, but" and "loser" would match "closer".
    """
    o_start, o_end = norm.original_span(start, end)
    text = norm.original
    return not (o_start > 0 and _latin_letter(text[o_start - 1])) and not (
        o_end < len(text) and _latin_letter(text[o_end])
    )


_FIRST_PERSON = ("我", "i", "me", "my")
_LATIN_FIRST_PERSON = re.compile(r"\b(?:i|me|my|i'm|im|i've|i'd|myself)\b")
#: The user as the object of a term ("hits me", "打我"): reported speech ("she says i want to die") is not.
_FIRST_PERSON_TERM = re.compile(r"\bme\b|.我")


def names_the_user(rule: str) -> bool:
    """Whether a term has the user as its object ("threw a chair at me", "我妈打我"): about the user, whoever
    else it names."""
    return bool(_FIRST_PERSON_TERM.search(rule))


@dataclass(frozen=True, slots=True)
class Term:
    """One lexicon entry."""

    category: str
    level: RiskLevel
    score: float
    rule: str
    context: tuple[str, ...] = ()
    #: Two-syllable homophones written in Han characters count for this term too.
    homophones: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    """One match of a term, on the folded text (``start``/``end``), found by characters or pinyin."""

    term: Term
    start: int
    end: int
    via: str = "text"
    level: RiskLevel = RiskLevel.NONE
    third_person: bool = False


def _fold(term: str) -> str:
    return normalize(term).text


def _default_pinyin(folded: str) -> bool:
    return len(_HAN.findall(folded)) >= 3


class Lexicon:
    """Compiled terms, cues and allow-list of one lexicon file."""

    def __init__(self, data: dict[str, Any], *, source: str) -> None:
        try:
            self.name = str(data["name"])
            entries: dict[str, Term] = {}
            pinyin_keys: dict[str, str] = {}
            for category, groups in data["categories"].items():
                for group in groups:
                    level = RiskLevel.parse(group["level"])
                    score = float(group.get("score", 0.5 + 0.1 * int(level)))
                    context = tuple(_fold(c) for c in group.get("context", []))
                    homophones = bool(group.get("homophones", False))
                    for raw in group["terms"]:
                        key = _fold(str(raw))
                        if not key:
                            continue
                        prev = entries.get(key)
                        if prev is None or prev.level < level:
                            entries[key] = Term(category, level, score, str(raw), context, homophones)
                        elif homophones and not prev.homophones:
                            entries[key] = replace(prev, homophones=True)
                        want_py = group.get("pinyin")
                        if want_py is None:
                            want_py = homophones or _default_pinyin(key)
                        if want_py and len(_HAN.findall(key)) >= 2:
                            pinyin_keys[to_syllables(key)[0]] = key
            self.negations = tuple(n for n in (_fold(x) for x in data.get("negations", [])) if n)
            self.third_person = tuple(t for t in (_fold(x) for x in data.get("third_person", [])) if t)
            # Latin cues are words: folded text has no spaces, so "he " would match inside "the" and "she".
            latin = [x.strip().casefold() for x in data.get("third_person", []) if x.strip().isascii()]
            self._latin_third = (
                re.compile(r"\b(?:" + "|".join(re.escape(x) for x in latin) + r")\b") if latin else None
            )
            self.third_person_level = RiskLevel.parse(data.get("third_person_level", "medium"))
            self.negation_window = int(data.get("negation_window", NEGATION_WINDOW))
            self.allow = [a for a in (_fold(x) for x in data.get("allow", [])) if a]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"lexicon {source} is invalid: {exc!r}") from exc
        if not entries:
            raise ConfigError(f"lexicon {source} has no terms")
        self.categories = tuple(sorted({t.category for t in entries.values()}))
        self._keys = list(entries)
        self._terms = [entries[k] for k in self._keys]
        self._whole_word = [bool(_LATIN_TERM.fullmatch(k)) for k in self._keys]
        self._py_keys = list(pinyin_keys)
        self._py_terms = [entries[pinyin_keys[k]] for k in self._py_keys]
        self._allow_ac = ahocorasick_rs.AhoCorasick(self.allow) if self.allow else None
        # Matched alone through its own automaton, unless a registry's index (one automaton
        # over all its detectors' lexicons) already scanned the text.
        self._own = LexiconIndex((self,))

    # -- the clause window: negation and third person are judged on what the user wrote --
    def _clause_before(self, norm: Normalized, start: int) -> str:
        """What the user wrote in the same clause just before folded position ``start``."""
        o_start = norm.offsets[start] if start < len(norm.offsets) else len(norm.original)
        latin = o_start > 0 and norm.original[o_start - 1].isascii()
        begin = max(0, o_start - CLAUSE_WINDOW * (LATIN_WINDOW_FACTOR if latin else 1))
        window = norm.original[begin:o_start]
        if begin > 0 and _latin_letter(norm.original[begin - 1]):
            window = re.sub(r"^[A-Za-z']+", "", window)  # a word cut by the window is not a word ("t|he")
        breaks = list(_CLAUSE_BREAK.finditer(window))
        if breaks:
            window = window[breaks[-1].end() :]
        return window

    def _negated(self, clause: str) -> bool:
        # "能不能 / 要不要 / 是不是 / 有没有" ask a question; the 不能 / 不要 / 不是 inside them negate nothing
        tail = without_a_not_a(clause[-self.negation_window :])
        return any(n in tail for n in self.negations)

    def _is_third_person(self, clause: str, written: str) -> bool:
        """A third-person cue in the clause with no first person after it (Chinese cues on the folded
        ``clause``, Latin ones as whole words of what was ``written``)."""
        for cue in self.third_person:
            if cue.isascii():
                continue
            pos = clause.rfind(cue)
            if pos >= 0 and not any(fp in clause[pos + len(cue) :] for fp in _FIRST_PERSON[:1]):
                return True
        if self._latin_third is None:
            return False
        lowered = written.casefold()
        cues = list(self._latin_third.finditer(lowered))
        return bool(cues) and not _LATIN_FIRST_PERSON.search(lowered, cues[-1].end())

    def _allowed_spans(self, text: str) -> list[tuple[int, int]]:
        if self._allow_ac is None:
            return []
        return [(s, e) for _, s, e in self._allow_ac.find_matches_as_indexes(text, overlapping=True)]

    def found(self, norm: Normalized) -> list[tuple[str, int, int, int]]:
        """Raw matches ``(view, term index, start, end)`` in ``norm``, from any index that scanned it."""
        scanned = cast("_Scanned | None", norm._views.get(_HITS))
        if scanned is not None:
            mine = scanned.get(id(self))
            if mine is not None:
                return mine
        return self._own.scan(norm)[id(self)]

    def _raw_hits(self, norm: Normalized) -> list[Hit]:
        found = self.found(norm)
        if not found:
            return []
        text = norm.text
        candidates: list[tuple[str, int, int, int]] = []
        for via, idx, s, e in found:
            if via == "text":
                if not self._whole_word[idx] or _on_word_edges(norm, s, e):
                    candidates.append((via, idx, s, e))
                continue
            fs, fe = norm.syllable_index(s, e)
            if fe - fs <= 2 and not _LATIN.search(text[fs:fe]) and not self._py_terms[idx].homophones:
                # two-syllable homophones are too common (资金 ~ 自尽, 上调 ~ 上吊);
                # they count only when typed as pinyin, or when listed as literal terms
                continue
            candidates.append((via, idx, fs, fe))
        hits: list[Hit] = []
        for via, idx, s, e in _leftmost_longest(candidates):
            if via == "text":
                hits.append(Hit(self._terms[idx], s, e))
            elif not any(h.start <= s and e <= h.end for h in hits):
                hits.append(Hit(self._py_terms[idx], s, e, via="pinyin"))
        return hits

    def matches(self, norm: Normalized) -> list[Hit]:
        """Hits on the folded text, minus allowed, negated and out-of-context ones.

        Each hit's ``level`` is the term's level, lowered when a third-person cue
        says the text is about someone else.
        """
        if not self.found(norm):  # the common case: nothing at all
            return []
        raw = self._raw_hits(norm)
        if not raw:
            return []
        allowed = self._allowed_spans(norm.text)
        out: list[Hit] = []
        for hit in raw:
            if any(a <= hit.start and hit.end <= b for a, b in allowed):
                continue
            if hit.term.context and not any(c in norm.text for c in hit.term.context):
                continue
            written = self._clause_before(norm, hit.start)
            clause = normalize(written).text
            if self.negations and self._negated(clause):
                continue
            level = hit.term.level
            third = (
                bool(self.third_person)
                and not names_the_user(hit.term.rule)
                and self._is_third_person(clause, written)
            )
            if third:
                level = min(level, self.third_person_level)
            out.append(replace(hit, level=level, third_person=third))
        return out

    def cues(self, norm: Normalized) -> list[str]:
        """Feature tokens for learned heads: every raw hit with its level, marked when negated,
        allowed, out of context or about someone else — the heads learn how far to trust each."""
        if not self.found(norm):
            return []
        raw = self._raw_hits(norm)
        if not raw:
            return []
        kept = {(h.start, h.end, h.term.category): h for h in self.matches(norm)}
        out: list[str] = []
        for hit in raw:
            tag = f"lex|{hit.term.category}|{hit.term.level.label}"
            out.append(tag)
            if hit.via != "text":
                out.append(tag + "|" + hit.via)
            found = kept.get((hit.start, hit.end, hit.term.category))
            if found is None:
                out.append(tag + "|dropped")
            elif found.third_person:
                out.append(tag + "|third")
        return out


def _leftmost_longest(found: list[tuple[str, int, int, int]]) -> list[tuple[str, int, int, int]]:
    """From overlapping matches keep, per view, the leftmost-longest non-overlapping ones."""
    out: list[tuple[str, int, int, int]] = []
    for view in ("text", "pinyin"):
        end = -1
        for hit in sorted((h for h in found if h[0] == view), key=lambda h: (h[2], -h[3])):
            if hit[2] >= end:
                out.append(hit)
                end = hit[3]
    return out


#: Key on a :class:`Normalized` text's views: ``{id(lexicon): raw matches}`` for every lexicon scanned.
_HITS = "lexicon_hits"
#: What ``Normalized._views[_HITS]`` holds: ``{id(lexicon): [(view, term index, start, end)]}``.
_Scanned = dict[int, list[tuple[str, int, int, int]]]

_Built = tuple[Any, list[list[tuple["Lexicon", int]]], Any, list[list[tuple["Lexicon", int]]]]


class LexiconIndex:
    """One Aho-Corasick automaton over the terms of some lexicons (characters and syllables).

    A :class:`~companion_guard.detectors.registry.DetectorRegistry` owns one over its
    detectors' lexicons: each text is scanned twice in all, not twice per lexicon, which
    keeps the lexicon tier at tens of microseconds. Results are kept on the
    :class:`Normalized` text, per lexicon, so a lexicon asked later reads them there.
    Nothing is shared between registries: building another one changes no other.
    """

    def __init__(self, lexicons: tuple[Lexicon, ...] | list[Lexicon]) -> None:
        self.lexicons: tuple[Lexicon, ...] = tuple(dict.fromkeys(lexicons))
        self._lock = threading.Lock()
        self._built: _Built | None = None
        self._scanned_key = f"lexicon_index:{id(self)}"

    def _build(self) -> _Built:
        with self._lock:
            if self._built is None:
                char_keys: dict[str, list[tuple[Lexicon, int]]] = {}
                syl_keys: dict[str, list[tuple[Lexicon, int]]] = {}
                for lex in self.lexicons:
                    for i, key in enumerate(lex._keys):
                        char_keys.setdefault(key, []).append((lex, i))
                    for i, key in enumerate(lex._py_keys):
                        syl_keys.setdefault(key, []).append((lex, i))
                char_ac = ahocorasick_rs.AhoCorasick(list(char_keys)) if char_keys else None
                syl_ac = ahocorasick_rs.AhoCorasick(list(syl_keys)) if syl_keys else None
                self._built = (char_ac, list(char_keys.values()), syl_ac, list(syl_keys.values()))
            return self._built

    def scan(self, norm: Normalized) -> dict[int, list[tuple[str, int, int, int]]]:
        """Every lexicon's matches in ``norm`` (``{id(lexicon): [(view, term index, start, end)]}``, overlapping).

        The dict holds every lexicon scanned so far for this text, by this index or another.
        """
        scanned = cast("_Scanned", norm._views.setdefault(_HITS, {}))
        if self._scanned_key in norm._views:
            return scanned
        todo = {
            id(lex) for lex in self.lexicons if id(lex) not in scanned
        }  # another index may have done some
        if todo:
            char_ac, char_owners, syl_ac, syl_owners = self._built or self._build()
            for key in todo:
                scanned[key] = []
            if char_ac is not None:
                for k, s, e in char_ac.find_matches_as_indexes(norm.text, overlapping=True):
                    for lex, i in char_owners[k]:
                        if id(lex) in todo:
                            scanned[id(lex)].append(("text", i, s, e))
            if syl_ac is not None:
                for k, s, e in syl_ac.find_matches_as_indexes(norm.pinyin_text, overlapping=True):
                    for lex, i in syl_owners[k]:
                        if id(lex) in todo:
                            scanned[id(lex)].append(("pinyin", i, s, e))
        norm._views[self._scanned_key] = True
        return scanned


@cache
def load_lexicon(filename: str) -> Lexicon:
    """A lexicon shipped in ``companion_guard/detectors/data``, parsed once per process.

    A lexicon is read-only once built; each registry indexes the ones its detectors use
    (:class:`LexiconIndex`), so another registry changes nothing here.
    """
    ref = resources.files("companion_guard.detectors").joinpath("data", filename)
    try:
        data = yaml.safe_load(ref.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read lexicon {filename}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"lexicon {filename} is not a mapping")
    return Lexicon(data, source=filename)


def hit_evidence(hit: Hit, norm: Normalized, rule: str | None = None) -> Evidence:
    """A hit as a span of what the user or the companion really wrote (``rule``: the term's rule by default)."""
    start, end = norm.original_span(hit.start, hit.end)
    return Evidence(start, end, norm.original[start:end], hit.term.rule if rule is None else rule)


def hits_to_signals(hits: list[Hit], norm: Normalized, *, detector: str, source: str) -> list[Signal]:
    """Group hits by category into one signal each; level and score are the strongest hit's."""
    by_cat: dict[str, list[Hit]] = {}
    for hit in hits:
        if not hit.term.category.startswith("_"):
            by_cat.setdefault(hit.term.category, []).append(hit)
    signals = []
    for category, group in by_cat.items():
        top = max(group, key=lambda h: (h.level, h.term.score))
        evidence = [
            hit_evidence(hit, norm, hit.term.rule + (" (pinyin)" if hit.via == "pinyin" else ""))
            for hit in group[:5]
        ]
        note = " (about someone else)" if top.third_person else ""
        signals.append(
            Signal(
                category=category,
                level=top.level,
                score=top.term.score if top.level == top.term.level else top.term.score * 0.7,
                detector=detector,
                evidence=tuple(evidence),
                explanation=f"lexicon {source}: {top.term.rule}{note}",
            )
        )
    return signals


def skip_lexicon(detector: Detector) -> Lexicon | None:
    """The lexicon whose lack of any match lets the registry skip ``detector`` (None: always run)."""
    lexicon = getattr(detector, "lexicon", None)
    if not getattr(detector, "silent_without_hits", False) or not isinstance(lexicon, Lexicon):
        return None
    return lexicon


def detector_lexicons(detector: Detector) -> tuple[Lexicon, ...]:
    """The lexicons a detector matches with (``lexicons()`` when it declares them, else its ``lexicon``)."""
    declared = getattr(detector, "lexicons", None)
    if callable(declared):
        return tuple(declared())
    lexicon = getattr(detector, "lexicon", None)
    return (lexicon,) if isinstance(lexicon, Lexicon) else ()


class LexiconDetector(Detector):
    """Turns lexicon hits into one signal per category (strictest hit wins)."""

    lexicon_file: str = ""
    #: True when :meth:`detect` returns nothing unless the lexicon has a hit, so the
    #: registry may skip the call; a subclass with other cues (numeric ages) sets False.
    silent_without_hits: ClassVar[bool] = True

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon(self.lexicon_file)

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Group hits by category; level and score are those of the strongest hit."""
        hits = self.lexicon.matches(text)
        if not hits:
            return []
        return hits_to_signals(hits, text, detector=self.id, source=self.lexicon.name)


__all__ = [
    "Direction",
    "Hit",
    "Lexicon",
    "LexiconDetector",
    "Term",
    "LexiconIndex",
    "detector_lexicons",
    "hit_evidence",
    "hits_to_signals",
    "load_lexicon",
    "skip_lexicon",
]
