"""Optional adapter to a guard model served behind an OpenAI-compatible endpoint (off by default).

For providers with a GPU: Qwen3Guard (``Safety: Unsafe`` / ``Categories: …``) or
Llama Guard 3/4 (``unsafe`` / ``S11``) served by vLLM, SGLang or similar. The
adapter sends the text (and, for a reply, the user's message before it) and maps
the model's labels to our signals. It is the only detector that does I/O, so it
is never in the built-in list: register it yourself::

    registry.register(GuardModelDetector(base_url="http://gpu-box:8000", model="Qwen/Qwen3Guard-Gen-8B"))

Uses the standard library's HTTP client (the detectors layer imports no httpx). A
failed call raises :class:`DetectorError`, which the registry turns into a
``detector.error`` signal for policy to judge.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.normalize import Normalized
from companion_guard.exceptions import ConfigError, DetectorError
from companion_guard.types import Direction, Evidence, RiskLevel, Signal

#: Qwen3Guard category → (our input category, our output category); None = not mapped.
QWEN3GUARD_MAP: dict[str, tuple[str | None, str | None]] = {
    "suicide & self-harm": ("user.suicide_intent", "reply.self_harm_promotion"),
    "violent": (None, "reply.abuse"),
    "unethical acts": (None, "reply.abuse"),
    "pii": (None, "reply.privacy_fishing"),
    "politically sensitive topics": (None, "reply.national_security"),
    "sexual content or sexual acts": (None, "reply.minor_unsafe"),
    "non-violent illegal acts": (None, "reply.minor_unsafe"),
}

#: Llama Guard hazard code → (input category, output category).
LLAMAGUARD_MAP: dict[str, tuple[str | None, str | None]] = {
    "S1": (None, "reply.abuse"),
    "S2": (None, "reply.minor_unsafe"),
    "S3": (None, "reply.minor_unsafe"),
    "S4": (None, "reply.minor_unsafe"),
    "S7": (None, "reply.privacy_fishing"),
    "S9": (None, "reply.national_security"),
    "S10": (None, "reply.abuse"),
    "S11": ("user.suicide_intent", "reply.self_harm_promotion"),
    "S12": (None, "reply.minor_unsafe"),
}

FLAVORS = ("qwen3guard", "llamaguard")


def parse_qwen3guard(content: str) -> tuple[RiskLevel, list[str]]:
    """``Safety: Unsafe|Controversial|Safe`` and ``Categories: A, B`` → level and lower-cased categories."""
    safety = re.search(r"Safety:\s*(Safe|Unsafe|Controversial)", content, re.IGNORECASE)
    if safety is None:
        raise DetectorError(f"unexpected Qwen3Guard answer: {content[:80]!r}")
    level = {"safe": RiskLevel.NONE, "controversial": RiskLevel.MEDIUM, "unsafe": RiskLevel.HIGH}[
        safety.group(1).lower()
    ]
    cats = re.search(r"Categories:\s*(.+)", content, re.IGNORECASE)
    names = [c.strip().lower() for c in cats.group(1).split(",")] if cats else []
    return level, [n for n in names if n and n != "none"]


def parse_llamaguard(content: str) -> tuple[RiskLevel, list[str]]:
    """``safe`` or ``unsafe`` followed by ``S1,S11`` → level and hazard codes."""
    lines = [ln.strip() for ln in content.strip().splitlines() if ln.strip()]
    if not lines or lines[0].lower() not in ("safe", "unsafe"):
        raise DetectorError(f"unexpected Llama Guard answer: {content[:80]!r}")
    if lines[0].lower() == "safe":
        return RiskLevel.NONE, []
    codes = re.findall(r"S\d+", " ".join(lines[1:]))
    return RiskLevel.HIGH, codes


class GuardModelDetector(Detector):
    """Asks a served guard model and maps its labels to companion-guard signals."""

    id = "guard_model"
    categories: tuple[str, ...] = tuple(
        sorted({c for m in (QWEN3GUARD_MAP, LLAMAGUARD_MAP) for pair in m.values() for c in pair if c})
    )
    directions = frozenset({Direction.INPUT, Direction.OUTPUT})
    requirements = ("P1", "P2", "P3", "P4", "I2")

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        flavor: str = "qwen3guard",
        api_key: str | None = None,
        timeout: float = 3.0,
    ) -> None:
        if flavor not in FLAVORS:
            raise ConfigError(f"guard model flavor must be one of {FLAVORS}, not {flavor!r}")
        self.url = (
            base_url.rstrip("/")
            + ("" if base_url.rstrip("/").endswith("/v1") else "/v1")
            + "/chat/completions"
        )
        self.model = model
        self.flavor = flavor
        self.api_key = api_key
        self.timeout = timeout

    def _ask(self, messages: list[dict[str, str]]) -> str:
        body = json.dumps(
            {"model": self.model, "messages": messages, "temperature": 0, "max_tokens": 64}
        ).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                data = json.loads(resp.read().decode("utf-8"))
            return str(data["choices"][0]["message"]["content"])
        except (urllib.error.URLError, TimeoutError, OSError, KeyError, IndexError, ValueError) as exc:
            raise DetectorError(f"guard model at {self.url} failed: {exc}") from exc

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """One call per text; one signal per mapped category."""
        if context.direction is Direction.OUTPUT:
            messages = [
                {"role": "user", "content": context.user_text or ""},
                {"role": "assistant", "content": text.original},
            ]
        else:
            messages = [{"role": "user", "content": text.original}]
        content = self._ask(messages)
        level, labels = (parse_qwen3guard if self.flavor == "qwen3guard" else parse_llamaguard)(content)
        if level == RiskLevel.NONE:
            return []
        table = QWEN3GUARD_MAP if self.flavor == "qwen3guard" else LLAMAGUARD_MAP
        side = 0 if context.direction is Direction.INPUT else 1
        out: dict[str, Signal] = {}
        for label in labels:
            category = table.get(label, (None, None))[side]
            if category and category not in out:
                out[category] = Signal(
                    category=category,
                    level=level,
                    score=0.9 if level >= RiskLevel.HIGH else 0.6,
                    detector=self.id,
                    evidence=(Evidence(0, len(text.original), text.original, f"{self.flavor}:{label}"),),
                    explanation=f"{self.flavor} {self.model}: {content.strip()[:120]}",
                )
        return list(out.values())


__all__ = ["FLAVORS", "GuardModelDetector", "parse_llamaguard", "parse_qwen3guard"]
