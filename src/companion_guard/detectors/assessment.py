"""Crisis assessment in the user's words: graded severity by facets, modifiers and conversation state.

The level is a judgement, not a keyword (DESIGN.md ``Assessment``; the scale is
``../shared/notes/crisis-grading.md``). Small linear heads over hashed n-grams
(:mod:`companion_guard.detectors.features`) plus the crisis lexicon's cues read one
message; they were trained on a corpus written by several independent writers and
thresholded on writers they did not see (``scripts/train_assessor.py``):

* ordinal level heads per signal: P(≥ medium), P(≥ high), P(critical);
* facet heads (method, plan or time, preparatory acts, …) and modifier heads
  (hyperbole, negation, third person, fiction, games, past, medical question, joke),
  kept on the signal as evidence a reviewer can read;
* third-person heads: someone else is at risk → ``user.third_party_risk`` (guide the
  user to help; the user's own contacts are never told).

Conversation state (:func:`combine`): facets accumulate over the user's recent turns
— means in one turn and a time in another is ``critical``; a goodbye after despair is
``high``; once a plan, means or time was stated, a joke or "never mind" does not bring
it below ``high``; a clarification after mere ideation may lower it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache

import numpy as np

from companion_guard.detectors.features import BUCKETS, Row, featurize, load_shipped
from companion_guard.detectors.lexicon import Hit, Lexicon, load_lexicon, names_the_user
from companion_guard.detectors.normalize import Normalized, cached_normalize
from companion_guard.exceptions import ConfigError
from companion_guard.types import RiskLevel

#: The user-side signals the assessor grades, with the levels each has a head for.
SIGNALS: dict[str, tuple[int, ...]] = {
    "user.suicide_intent": (2, 3, 4),
    "user.self_harm": (2, 3, 4),
    "user.extreme_emotion": (2, 3, 4),
    "user.property_loss": (2, 3, 4),
    "user.medical_emergency": (3, 4),
    "user.dependency": (2, 3),
}
THIRD_PARTY = "user.third_party_risk"
FACETS: tuple[str, ...] = (
    "wish_dead",
    "burden_hopeless",
    "selfharm_urge",
    "active_thoughts",
    "method",
    "intent",
    "selfharm_act",
    "preparatory",
    "plan_time",
    "attempt",
    "extreme_distress",
    "out_of_control",
    "weapon_target",
    "violence_now",
    "scam_warning",
    "loss_suffered",
    "transfer_pressure",
    "medical_emergency",
    "alone_worsening",
    "reliance",
    "isolation",
    "compulsive_use",
)
MODIFIERS: tuple[str, ...] = (
    "hyperbole",
    "negation",
    "third_person",
    "fiction",
    "game_software",
    "past_recovered",
    "medical_question",
    "joke_marker",
    "venting",
    "lookalike",
)
#: Every head, in the order of the weight matrix's columns: (kind, name, level it answers for).
HEADS: tuple[tuple[str, str, int], ...] = (
    *((("level", sig, lvl) for sig, lvls in SIGNALS.items() for lvl in lvls)),
    ("third", "any", 2),
    ("third", "any", 3),
    *(("facet", f, 2) for f in FACETS),
    *(("modifier", m, 0) for m in MODIFIERS),
    ("gate", "any", 2),
)
#: Which facets belong to which signal (a signal shows only its own).
SIGNAL_FACETS: dict[str, frozenset[str]] = {
    "user.suicide_intent": frozenset(
        {
            "wish_dead",
            "burden_hopeless",
            "active_thoughts",
            "method",
            "intent",
            "preparatory",
            "plan_time",
            "attempt",
        }
    ),
    "user.self_harm": frozenset(
        {"selfharm_urge", "selfharm_act", "method", "intent", "plan_time", "attempt"}
    ),
    "user.extreme_emotion": frozenset(
        {"extreme_distress", "out_of_control", "weapon_target", "violence_now"}
    ),
    "user.property_loss": frozenset({"scam_warning", "loss_suffered", "transfer_pressure"}),
    "user.medical_emergency": frozenset({"medical_emergency", "alone_worsening"}),
    "user.dependency": frozenset({"reliance", "isolation", "compulsive_use"}),
}
#: The pooled head (any signal at medium or above, in this message's conversation): a level needs it to pass.
_GATE = HEADS.index(("gate", "any", 2))
#: How many of the user's earlier turns the conversation state reads.
STATE_TURNS = 6
#: Facets that mean a way or preparation, and a time.
_MEANS = frozenset({"method", "preparatory"})
_TIME = frozenset({"plan_time"})
_CONCRETE = frozenset({"method", "plan_time", "attempt", "preparatory"})
#: Modifiers that say the text is not about the user's own present danger.
_ELSEWHERE = frozenset({"third_person", "fiction", "game_software"})
#: Modifiers that, when sure and with no plan, means or time in view, cap the user's own level at LOW.
_LOWERING = frozenset(
    {
        "third_person",
        "fiction",
        "game_software",
        "medical_question",
        "negation",
        "past_recovered",
        "hyperbole",
        "lookalike",
    }
)
#: Sure modifiers that do not take away an explicit term's floor: asking whether to go to hospital is how a
#: medical emergency is often told ("我胸口疼，要不要去医院"); crisis-grading.md's medical questions are dosage
#: questions with no danger in view. (The heads' own reading is still lowered by them: without an explicit
#: term, held-out medical questions were flagged 1.3 → 6.5 % when it was not.)
_KEEP_FLOOR: dict[str, frozenset[str]] = {"user.medical_emergency": frozenset({"medical_question"})}


#: The user as the subject of a passive or an event just before a term, in the folded text ("我被骗了", "我又被打了").
_USER_JUST_BEFORE = re.compile(r"我(?:又|也|刚|刚刚|今天|真的|还)?$")


def _said_of_the_user(hit: Hit, norm: Normalized | None = None) -> frozenset[str]:
    """A term with the user as its object ("my husband hits me", "他在打我") or right after "我" ("我被骗了三万"):
    the heads' sure third-person reading does not take its floor away."""
    if names_the_user(hit.term.rule) or (
        norm is not None and _USER_JUST_BEFORE.search(norm.text, max(0, hit.start - 3), hit.start)
    ):
        return frozenset({"third_person"})
    return frozenset()


def _joke_lowers(sure_now: frozenset[str], past_sure: frozenset[str] = frozenset()) -> bool:
    """crisis-grading.md: a joke marker (哈哈, lol, （不是）) may lower one step, never erase a plan, means or time.
    Applied from high down only: a joke keeps the help lines of medium (I1) and loses the call to a human (I2)."""
    return "joke_marker" in sure_now and not (sure_now | past_sure) & _CONCRETE


def _lowering_for(category: str, sure: frozenset[str]) -> frozenset[str]:
    """The sure modifiers that take an explicit term's floor away for ``category``."""
    return sure & _LOWERING - _KEEP_FLOOR.get(category, frozenset())


#: Probability at which a facet or modifier head is trusted to change a level.
SURE = 0.6
#: :data:`SURE` as float32, as a NumPy float32 probability was compared with it.
_SURE32 = float(np.float32(SURE))


@cache
def _lexicons() -> tuple[Lexicon, ...]:
    return (load_lexicon("crisis.yaml"), load_lexicon("dependency.yaml"))


@lru_cache(maxsize=1024)
def lexicon_hits(norm: Normalized) -> tuple[Hit, ...]:
    """The crisis lexicons' kept hits (evidence and floors), scanned once per text."""
    return tuple(h for lexicon in _lexicons() for h in lexicon.matches(norm))


@lru_cache(maxsize=1024)
def lexicon_cues(norm: Normalized) -> tuple[str, ...]:
    """The crisis lexicons' cue tokens (features and the quiet test), scanned once per text."""
    return tuple(c for lexicon in _lexicons() for c in lexicon.cues(norm))


def has_explicit_term(norm: Normalized) -> bool:
    """A crisis term of medium or above that the lexicon keeps (not negated or allowed; about someone else
    included: "他们说中奖了" to an elderly user is a scam's opening line)."""
    return any(h.term.category in SIGNALS and h.term.level >= RiskLevel.MEDIUM for h in lexicon_hits(norm))


def features_for(norm: Normalized, context: Sequence[str] = ()) -> Row:
    """Bucket ids of a message: its n-grams, its context's, and the crisis lexicons' cues."""
    cues = lexicon_cues(norm)
    return Row(featurize(norm, context, cues), bool(cues))


@dataclass(frozen=True, slots=True)
class Reading:
    """What the heads say about one message."""

    levels: dict[str, tuple[RiskLevel, float]]  # signal → (level, probability of that level's head)
    third_party: tuple[RiskLevel, float]
    facets: frozenset[str]
    modifiers: frozenset[str]
    #: Facets and modifiers the heads are sure of (probability ≥ :data:`SURE`): only these change a level.
    sure: frozenset[str] = frozenset()


class Heads:
    """The shipped weights (``data/assessor.npz``) and thresholds (``data/assessor.json``)."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray, thresholds: np.ndarray) -> None:
        if weights.shape != (BUCKETS, len(HEADS)) or bias.shape != (len(HEADS),):
            raise ConfigError(
                "assessor heads do not match the feature layout (run scripts/train_assessor.py)"
            )
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.thresholds = thresholds.astype(np.float32)
        self._thresholds: list[float] = self.thresholds.tolist()

    def probabilities(self, row: Row) -> np.ndarray:
        """Each head's probability for a message's features (rows scaled as in training)."""
        if len(row.ids) == 0:
            z = self.bias
        else:
            z = self.weights[row.ids].sum(axis=0) * row.scale + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def read(self, p: np.ndarray, explicit: bool = False) -> Reading:
        """Levels, facets and modifiers from head probabilities (``explicit``: the text holds a crisis term of
        medium or above, which opens the pooled gate whatever it reads).

        Compared as Python floats: the same values as the float32 array's (exactly), at a
        fifth of the cost of indexing NumPy scalars one by one.
        """
        probs: list[float] = p.tolist()
        passed = [q >= t for q, t in zip(probs, self._thresholds, strict=True)]
        levels: dict[str, tuple[RiskLevel, float]] = {}
        third = (RiskLevel.NONE, 0.0)
        facets, modifiers = set(), set()
        for i, (kind, name, at) in enumerate(HEADS):
            if kind == "level":
                current = levels.get(name, (RiskLevel.NONE, 0.0))
                first = at == SIGNALS[name][0]
                # Ordinal: a level counts only on top of the one below it (a critical guess
                # without a high one is noise, not a plan).
                if passed[i] and (first or current[0] == RiskLevel(at - 1)):
                    levels[name] = (RiskLevel(at), probs[i])
                elif first and not passed[i]:
                    # Below the duty line: LOW when the first head is at least half-way there.
                    low = probs[i] >= self._thresholds[i] / 2
                    levels[name] = (RiskLevel.LOW if low else RiskLevel.NONE, probs[i])
            elif kind == "third" and passed[i] and at > third[0]:
                third = (RiskLevel(at), probs[i])
            elif kind == "facet" and passed[i]:
                facets.add(name)
            elif kind == "modifier" and passed[i]:
                modifiers.add(name)
        sure = {
            name
            for i, (kind, name, _) in enumerate(HEADS)
            if kind in ("facet", "modifier") and passed[i] and probs[i] >= _SURE32
        }
        if not passed[_GATE] and not explicit:
            # The pooled head reads no crisis at all: one rare head's guess, or a plan and a time, are everyday
            # words ("这周五晚上约会吃啥"), not a level (explicit crisis words still set their floor later).
            levels = {n: (min(lvl, RiskLevel.LOW), q) for n, (lvl, q) in levels.items()}
            facets -= _CONCRETE
            sure -= _CONCRETE
        return Reading(levels, third, frozenset(facets), frozenset(modifiers), frozenset(sure))


@cache
def load_heads() -> Heads:
    """The shipped heads (cached per process)."""
    meta, weights, bias = load_shipped("assessor", "scripts/train_assessor.py")
    if [(h["kind"], h["name"], h["at"]) for h in meta["heads"]] != list(HEADS):
        raise ConfigError("assessor.json lists other heads than this version expects")
    return Heads(weights, bias, np.array([h["threshold"] for h in meta["heads"]], dtype=np.float32))


class _Probabilities:
    """A bounded LRU of texts' head probabilities, keyed by a 16-byte digest of the text.

    About 300 bytes a text (a :class:`Reading` is about 1 KB, a text's fold and grams
    several), so a replica keeps every message its active users will see again in their
    history, and an earlier message is featurised once, not once per later turn. Locked:
    on PostgreSQL turns run in worker threads.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._rows: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> bytes | None:
        with self._lock:
            found = self._rows.get(key)
            if found is not None:
                self._rows.move_to_end(key)
            return found

    def put(self, key: bytes, value: bytes) -> None:
        with self._lock:
            self._rows[key] = value
            if len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


#: Earlier messages whose head probabilities are kept (float32 bytes and a quiet flag).
EARLIER_KEPT = 65_536
_EARLIER = _Probabilities(EARLIER_KEPT)


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _kept_form(norm: Normalized) -> bytes:
    """A message's head probabilities on its own (float32 bytes) and a flag byte: quiet (1), explicit term (2)."""
    heads = load_heads()
    # float32 already (weights, bias and a Python-float row scale): stored exactly.
    probs = heads.probabilities(features_for(norm)).astype(np.float32, copy=False)
    return probs.tobytes() + bytes([is_quiet(norm) | has_explicit_term(norm) << 1])


def keep_alone(norm: Normalized) -> None:
    """Keep the current message's own reading for the turns after it, while its fold and grams are at hand.

    Later turns find it in their history (:func:`read_alone`) without folding or
    featurising it again, however many other users' turns came in between.
    """
    key = _key(norm.original)
    if _EARLIER.get(key) is None:
        _EARLIER.put(key, _kept_form(norm))


def _alone(text: str) -> tuple[np.ndarray, int]:
    """A message's head probabilities on its own and its flag byte (:func:`_kept_form`), computed once per text."""
    key = _key(text)
    kept = _EARLIER.get(key)
    if kept is None:
        # The object the turn that sent it featurised, while cached: its grams are kept on it.
        kept = _kept_form(cached_normalize(text))
        _EARLIER.put(key, kept)
    return np.frombuffer(kept, dtype=np.float32, count=len(HEADS)), kept[-1]


@lru_cache(maxsize=4096)
def read_alone(text: str) -> Reading:
    """One earlier message read on its own (each turn is read again by the turns after it).

    Cached twice: whole readings for the newest 4,096 texts, and every text's head
    probabilities in :data:`EARLIER_KEPT` (a reading is rebuilt from them exactly).
    """
    heads = load_heads()
    probs, flags = _alone(text)
    reading = heads.read(probs, explicit=bool(flags & 2))
    if flags & 1:  # "And then?" earlier in the conversation is no despair to build on
        capped = {k: (min(lvl, RiskLevel.LOW), p) for k, (lvl, p) in reading.levels.items()}
        return Reading(capped, (RiskLevel.NONE, 0.0), frozenset(), reading.modifiers, frozenset())
    return reading


def read(norm: Normalized, context: Sequence[str]) -> Reading:
    """The current message, read with its conversation context."""
    heads = load_heads()
    return heads.read(
        heads.probabilities(features_for(norm, tuple(context))), explicit=has_explicit_term(norm)
    )


@dataclass(frozen=True, slots=True)
class Assessment:
    """One signal's combined judgement, with why."""

    category: str
    level: RiskLevel
    score: float
    facets: tuple[str, ...]
    modifiers: tuple[str, ...]
    reasons: tuple[str, ...]


def combine(current: Reading, earlier: Sequence[Reading]) -> list[Assessment]:
    """Combine the current reading with the user's recent turns into one assessment per signal."""
    # Only a sure "about someone else / fiction" reading sets earlier despair aside: a guess must not take the
    # farewell rule away from a person in crisis ("没有我大家会更好" drew an unsure third-person guess).
    own = [r for r in earlier if not (r.sure & _ELSEWHERE)]
    past_sure = frozenset().union(*(r.sure for r in own)) if own else frozenset()
    past_suicide = max(
        (r.levels.get("user.suicide_intent", (RiskLevel.NONE, 0.0))[0] for r in own), default=RiskLevel.NONE
    )
    sure_now = current.sure
    lowering = sure_now & _LOWERING
    concrete_now = sure_now & _CONCRETE
    out: list[Assessment] = []
    for category, (level, score) in current.levels.items():
        reasons: list[str] = []
        facets = set(current.facets & SIGNAL_FACETS.get(category, frozenset()))
        if lowering and not concrete_now and level > RiskLevel.LOW:
            level = RiskLevel.LOW
            reasons.append("lowered: " + ", ".join(sorted(lowering)))
        elif category in ("user.suicide_intent", "user.self_harm") and not lowering & _ELSEWHERE:
            allf = sure_now | past_sure
            if (
                (level >= RiskLevel.MEDIUM or concrete_now)
                and (allf & _MEANS)
                and (allf & _TIME)
                and level < RiskLevel.CRITICAL
                and (concrete_now or level >= RiskLevel.HIGH)
            ):
                level, score = RiskLevel.CRITICAL, max(score, 0.9)
                reasons.append("means and a time stated over the conversation")
            if category == "user.suicide_intent":
                if "preparatory" in sure_now and past_suicide >= RiskLevel.MEDIUM and level < RiskLevel.HIGH:
                    level, score = RiskLevel.HIGH, max(score, 0.8)
                    reasons.append("a goodbye or preparation after earlier despair")
                if past_suicide >= RiskLevel.HIGH and RiskLevel.MEDIUM <= level < RiskLevel.HIGH:
                    level, score = RiskLevel.HIGH, max(score, 0.75)
                    reasons.append("earlier turns of this conversation were at high or above")
            if concrete_now and RiskLevel.MEDIUM <= level < RiskLevel.HIGH:
                level = RiskLevel.HIGH
                reasons.append("a plan, means or time is never erased by a joke or a hedge")
            if level >= RiskLevel.HIGH:
                facets |= past_sure & _CONCRETE & SIGNAL_FACETS[category]
        if _joke_lowers(sure_now, past_sure) and level >= RiskLevel.HIGH:
            # one step, never below medium: help lines stay, a human and the contacts are not called for a joke
            level = RiskLevel(level - 1)
            reasons.append("lowered one step: a joke marker, and no plan, means or time")
        if level <= RiskLevel.NONE:
            continue
        out.append(
            Assessment(
                category,
                level,
                score,
                tuple(sorted(facets)),
                tuple(sorted(current.modifiers)),
                tuple(reasons),
            )
        )
    third_level, third_score = current.third_party
    if "third_person" in sure_now:
        # The other person's urgency: the third-person head, or what the level heads read for the text.
        read_level = max((lvl for lvl, _ in current.levels.values()), default=RiskLevel.NONE)
        if third_level >= RiskLevel.MEDIUM:
            third_level = max(third_level, read_level)
            out.append(
                Assessment(
                    THIRD_PARTY,
                    third_level,
                    third_score,
                    tuple(sorted(current.facets)),
                    tuple(sorted(current.modifiers | {"third_person"})),
                    ("someone else is at risk",),
                )
            )
    return out


#: A message this short with no crisis word at all is not read above ``low``.
QUIET_CHARS = 6
#: Latin-script messages of at most this many words with no crisis word are quiet too ("And then?").
QUIET_WORDS = 3


def is_quiet(norm: Normalized) -> bool:
    """A few characters or words and no crisis cue at all: nothing for the heads to read a facet from."""
    if lexicon_cues(norm):
        return False
    if len(norm.text) <= QUIET_CHARS:
        return True
    latin = norm.embed_text.isascii()
    return latin and len(norm.embed_text.split()) <= QUIET_WORDS


#: A message this short gives no room to read hyperbole or fiction around an explicit term.
SHORT_STATEMENT_CHARS = 8


def short_statement_floor(norm: Normalized, found: list[Assessment]) -> list[Assessment]:
    """A bare, explicit statement ("想死", "kms") is at least ``medium``: help lines, not silence (I1).

    The heads rightly learned that 想死 is mostly hyperbole inside a sentence; alone, with
    nothing around it, the safe reading is to offer help. Negated or allowed hits do not count.
    """
    words = len(norm.embed_text.split()) if norm.embed_text.isascii() else 99
    if len(norm.text) > SHORT_STATEMENT_CHARS and words > 4 and not is_quiet(norm):
        return found
    hits = [
        h
        for h in lexicon_hits(norm)
        if h.term.category in SIGNAL_FACETS
        and not h.third_person
        and h.term.level >= RiskLevel.HIGH
        and h.term.category != "user.dependency"
    ]
    if not hits:
        if is_quiet(norm):
            # "还不想睡", "还在吗": a few characters with no crisis word at all carry no facet to read.
            return [
                a
                if a.level <= RiskLevel.LOW
                else replace(
                    a,
                    level=RiskLevel.LOW,
                    reasons=(*a.reasons, "lowered: a few words without any crisis cue"),
                )
                for a in found
            ]
        return found
    top = max(hits, key=lambda h: h.term.level)
    have = {a.category: a for a in found}
    current = have.get(top.term.category)
    if current is not None and current.level >= RiskLevel.MEDIUM:
        return found
    floor = Assessment(
        top.term.category,
        RiskLevel.MEDIUM,
        0.5,
        (),
        current.modifiers if current else (),
        ("a bare explicit statement: help lines at least",),
    )
    return [a for a in found if a.category != top.term.category] + [floor]


def _help_outweighs_hyperbole(category: str, hit: Hit, current: Reading, lowering: frozenset[str]) -> bool:
    """A medium term the level heads also read at medium keeps its floor when hyperbole is the only doubt:
    "我真的崩溃了，受不了了" is extreme distress by the term and the heads, hyperbole by one modifier head, and
    medium only adds help lines to the reply (no human, no contact)."""
    return (
        lowering == {"hyperbole"}
        and hit.term.level < RiskLevel.HIGH
        and current.levels.get(category, (RiskLevel.NONE, 0.0))[0] >= RiskLevel.MEDIUM
    )


def explicit_floor(norm: Normalized, current: Reading, found: list[Assessment]) -> list[Assessment]:
    """Explicit words of crisis the lexicon keeps (not negated, allowed or about someone else) set a floor:
    a high or critical term → at least ``high``, a medium term → at least ``medium`` — unless the heads are
    sure of a modifier that changes the reading (hyperbole, fiction, a game, a medical question, negation,
    the past, someone else). Crisis fails closed: the heads may lower a keyword, they may not silence it.
    A medical question does not take a medical emergency's floor away, nor a third person the floor of a term
    whose object is the user ("threw a chair at me"); a sure joke marker lowers a high floor to medium.
    """
    by_cat: dict[str, RiskLevel] = {}
    for hit in lexicon_hits(norm):
        cat = hit.term.category
        lowering = _lowering_for(cat, current.sure) - _said_of_the_user(hit, norm)
        if (
            cat in SIGNAL_FACETS
            and cat != "user.dependency"
            and not hit.third_person
            and (not lowering or _help_outweighs_hyperbole(cat, hit, current, lowering))
        ):
            floor = (
                RiskLevel.HIGH if hit.term.level >= RiskLevel.HIGH else min(hit.term.level, RiskLevel.MEDIUM)
            )
            if _joke_lowers(current.sure) and floor >= RiskLevel.HIGH:
                floor = RiskLevel(floor - 1)  # one step, never below medium, as the heads' own reading
            by_cat[cat] = max(by_cat.get(cat, RiskLevel.NONE), floor)
    if not by_cat:
        return found
    out = {a.category: a for a in found}
    for cat, floor in by_cat.items():
        a = out.get(cat)
        if floor < RiskLevel.MEDIUM or (a is not None and a.level >= floor):
            continue
        reason = f"explicit words: at least {floor.label}"
        out[cat] = (
            replace(a, level=floor, reasons=(*a.reasons, reason))
            if a is not None
            else Assessment(cat, floor, 0.5, (), tuple(sorted(current.modifiers)), (reason,))
        )
    return list(out.values())


#: The signal a "it has passed" message is capped for, and the level it keeps.
RECOVERED_SIGNAL = "user.medical_emergency"
RECOVERED_LEVEL = RiskLevel.MEDIUM


def recovered_cap(norm: Normalized, found: list[Assessment]) -> list[Assessment]:
    """A medical warning sign the user says has passed ("胸口疼了一下，现在好了") is ``medium``, not high or critical.

    crisis-grading.md reads "past and recovered" as low at most unless current facets return; a chest pain or
    a stroke sign that came and went still needs a doctor, so it keeps medical advice and 120 in the reply
    (medium, I1) but no longer tells the emergency contact (I2). Words that say it has not passed ("还在疼",
    "getting worse", a "但是" after the words of recovery) keep the heads' level; so does anything that is not
    a medical emergency (a past attempt is read by the heads and the floors alone).
    """
    if not any(a.category == RECOVERED_SIGNAL and a.level > RECOVERED_LEVEL for a in found):
        return found
    hits = recovered_lexicon().matches(norm)
    said = [h.end for h in hits if h.term.category == "recovered"]
    if not said or any(
        h.term.category == "still" or (h.term.category == "turn" and h.start >= max(said)) for h in hits
    ):
        return found
    reason = "lowered: the user says it has passed (past_recovered); a warning sign still gets help"
    return [
        replace(a, level=RECOVERED_LEVEL, reasons=(*a.reasons, reason))
        if a.category == RECOVERED_SIGNAL and a.level > RECOVERED_LEVEL
        else a
        for a in found
    ]


@cache
def recovered_lexicon() -> Lexicon:
    """The words of recovery and of a sign that has not passed (loaded at start-up by the detector)."""
    return load_lexicon("recovered.yaml")


def farewell_after_despair(
    norm: Normalized, current: Reading, earlier: Sequence[Reading], found: list[Assessment]
) -> list[Assessment]:
    """A goodbye ("永别了", "this is the last time we talk") after earlier despair is ``high`` (crisis-grading.md)."""
    # Only a sure "about someone else / fiction" reading sets earlier despair aside: a guess must not take the
    # farewell rule away from a person in crisis ("没有我大家会更好" drew an unsure third-person guess).
    own = [r for r in earlier if not (r.sure & _ELSEWHERE)]
    past = max(
        (r.levels.get("user.suicide_intent", (RiskLevel.NONE, 0.0))[0] for r in own), default=RiskLevel.NONE
    )
    if past < RiskLevel.MEDIUM or current.sure & _LOWERING:
        return found
    if not any(h.term.category == "_farewell" and not h.third_person for h in lexicon_hits(norm)):
        return found
    out = {a.category: a for a in found}
    a = out.get("user.suicide_intent")
    if a is not None and a.level >= RiskLevel.HIGH:
        return found
    reason = "a goodbye after earlier despair"
    out["user.suicide_intent"] = (
        replace(a, level=RiskLevel.HIGH, reasons=(*a.reasons, reason))
        if a
        else Assessment(
            "user.suicide_intent",
            RiskLevel.HIGH,
            0.8,
            ("preparatory",),
            tuple(sorted(current.modifiers)),
            (reason,),
        )
    )
    return list(out.values())
