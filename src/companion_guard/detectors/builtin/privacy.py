"""Personal information: PII spans in either direction (P3, D3) and replies that fish for it (P3).

PII is found by patterns with validation (ID-number dates and checksum, Luhn for
bank cards) on the folded text, so full-width digits and inserted spaces do not
hide a number; e-mail addresses are read on the original text, where their dots
and ``@`` still are.
"""

from __future__ import annotations

import re

from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.detectors.normalize import Normalized
from companion_guard.types import Direction, Evidence, RiskLevel, Signal

_ID = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9x](?![0-9])"
)
_PHONE = re.compile(r"(?<![0-9])(?:86)?1[3-9][0-9]{9}(?![0-9])")
_CARD = re.compile(r"(?<![0-9])[3-6][0-9]{15,18}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9.\-]+[.．][A-Za-z]{2,}")
_H = "\u4e00-\u9fff"
_ADDRESS_ZH = re.compile(
    # province/region + city + district, or city + district …
    rf"(?:[{_H}]{{2,7}}?(?:省|自治区)[{_H}]{{1,7}}?(?:市|州|盟)[{_H}]{{1,7}}?(?:区|县|市|旗)"
    rf"|[{_H}]{{2,4}}?市[{_H}]{{1,6}}?(?:区|县))"
    # … then streets, estates, buildings and numbers, as far as they go
    rf"(?:[{_H}0-9a-z]{{0,16}}?(?:[0-9]+(?:号楼|号|室|栋|幢|座|层|单元)|街道|新村|小区|大厦|花园|公寓|苑|新区))*"
    # or a bare street address: 文三路100号
    rf"|[{_H}]{{1,10}}(?:路|街|大道|巷|弄|胡同)[0-9]+号(?:[0-9]+(?:号楼|栋|幢|单元|室|层))*"
)
# International numbers: +27 61 222 4762, (95) 94215-7906, 0475 4429797 (10+ digits, read on the original).
_PHONE_INTL = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ -]?)?(?:\(\d{2,4}\)[ -]?)?\d{2,5}(?:[ -]\d{2,5}){1,3}(?![\w])"
)
_ADDRESS_EN = re.compile(
    r"\b\d{1,5}\s+(?:Via\s+[A-Z]\w+|(?:[A-Z0-9][\w']*\s+){1,4}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Terrace|Ter|Circle|Cir|Way|Place|Pl"
    r"|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Ferry|Views?|Crossing|Loop|Path|Pike|Plaza|Alley|Row|Ridge"
    r"|Heights|Hills?|Park|Gardens?|Mews|Close|Crescent|Grove|Walk|Estates?|Station|Points?|Harbor|Falls|Shores?))"
    r"\b\.?(?:,?\s*(?:Apt|Suite|Unit)\.?\s*\d+)?"
)
_DIGIT = re.compile(r"[0-9]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_checksum_ok(number: str) -> bool:
    """GB 11643 check digit of an 18-character resident ID number."""
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return "10x98765432"[total % 11] == number[17].lower()


def luhn_ok(number: str) -> bool:
    """Luhn check of a card number."""
    digits = [int(d) for d in reversed(number)]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


class PIIDetector(Detector):
    """PII spans (``pii.id_number``, ``pii.phone``, ``pii.bank_card``, ``pii.email``, ``pii.address``)."""

    id = "privacy.pii"
    categories = ("pii.id_number", "pii.phone", "pii.bank_card", "pii.email", "pii.address")
    directions = frozenset({Direction.INPUT, Direction.OUTPUT})
    requirements = ("P3", "D3")

    def _folded(self, text: Normalized) -> list[tuple[str, RiskLevel, float, int, int, str]]:
        found = []
        folded = text.text
        taken: list[tuple[int, int]] = []
        for m in _ID.finditer(folded):
            ok = id_checksum_ok(m.group(0))
            found.append(
                ("pii.id_number", RiskLevel.HIGH, 0.95 if ok else 0.75, m.start(), m.end(), "id number")
            )
            taken.append(m.span())
        for m in _CARD.finditer(folded):
            if any(a <= m.start() < b for a, b in taken) or not luhn_ok(m.group(0)):
                continue
            found.append(("pii.bank_card", RiskLevel.HIGH, 0.85, m.start(), m.end(), "bank card (Luhn)"))
            taken.append(m.span())
        for m in _PHONE.finditer(folded):
            if any(a <= m.start() < b for a, b in taken):
                continue
            found.append(("pii.phone", RiskLevel.MEDIUM, 0.9, m.start(), m.end(), "mobile number"))
        for m in _ADDRESS_ZH.finditer(folded):
            start = m.start()
            for prefix in ("我家住在", "我住在", "住在", "位于", "地址是", "地址", "家在", "在", "住"):
                if folded.startswith(prefix, start):
                    start += len(prefix)
                    break
            found.append(("pii.address", RiskLevel.MEDIUM, 0.8, start, m.end(), "street address"))
        return found

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """One signal per PII type, with every span as evidence."""
        if _DIGIT.search(text.text) is None and "@" not in text.original and "＠" not in text.original:
            return []
        spans: dict[str, list[tuple[RiskLevel, float, int, int, str]]] = {}
        for cat, level, score, s, e, rule in self._folded(text):
            o_s, o_e = text.original_span(s, e)
            spans.setdefault(cat, []).append((level, score, o_s, o_e, rule))
        for m in _EMAIL.finditer(text.original):
            spans.setdefault("pii.email", []).append((RiskLevel.MEDIUM, 0.9, m.start(), m.end(), "e-mail"))
        if "pii.phone" not in spans:
            for m in _PHONE_INTL.finditer(text.original):
                if sum(c.isdigit() for c in m.group(0)) >= 10 and not _ID.search(m.group(0).replace(" ", "")):
                    spans.setdefault("pii.phone", []).append(
                        (RiskLevel.MEDIUM, 0.6, m.start(), m.end(), "phone number")
                    )
        for m in _ADDRESS_EN.finditer(text.original):
            spans.setdefault("pii.address", []).append(
                (RiskLevel.MEDIUM, 0.7, m.start(), m.end(), "street address")
            )
        signals = []
        for cat, items in spans.items():
            top = max(items, key=lambda x: (x[0], x[1]))
            signals.append(
                Signal(
                    category=cat,
                    level=top[0],
                    score=top[1],
                    detector=self.id,
                    evidence=tuple(Evidence(s, e, text.original[s:e], r) for _, _, s, e, r in items),
                    explanation=f"{len(items)} {cat.removeprefix('pii.')} span(s)",
                )
            )
        return signals


class PrivacyFishingDetector(LexiconDetector):
    """Replies asking for ID numbers, addresses, passwords, codes or employer secrets (P3)."""

    id = "privacy.fishing"
    categories = ("reply.privacy_fishing",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P3",)
    lexicon_file = "privacy.yaml"
