"""S1: do the Interim Measures apply to this service? A short questionnaire with the reasons (Q2, Q3).

Q2 of the official Q&A: the Measures apply to services that use AI to provide the
public in the People's Republic of China with *continuous emotional interaction* that
simulates a natural person's personality traits, thinking and communication style;
intelligent customer service, knowledge Q&A, work assistants, learning and education
and scientific research that involve no continuous emotional interaction are out of
scope. Q3: supervision is inclusive, prudent, classified and graded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Kinds of service (and of persona) the questionnaire knows; all but ``companion`` are Q2's exclusions.
KINDS: dict[str, tuple[str, str]] = {
    "companion": ("陪伴/虚拟角色", "companion / virtual persona"),
    "customer_service": ("智能客服", "intelligent customer service"),
    "qa": ("知识问答", "knowledge Q&A"),
    "assistant": ("工作助手", "work assistant"),
    "education": ("学习教育", "learning and education"),
    "research": ("科学研究", "scientific research"),
    "other": ("其他", "other"),
}
EXCLUDED_KINDS = frozenset(KINDS) - {"companion", "other"}

#: The questions: key, type, Chinese and English wording.
QUESTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("service_kind", "choice", "服务属于哪一类？", "What kind of service is it?"),
    (
        "emotional_interaction",
        "bool",
        "服务是否模拟自然人的人格特征、思维模式和沟通风格，与用户进行情感互动？",
        "Does it simulate a natural person's personality, thinking and communication style in emotional interaction?",
    ),
    (
        "continuous",
        "bool",
        "这种情感互动是否是持续性的（多轮、长期、记得用户）？",
        "Is that emotional interaction continuous (many turns, over time, remembering the user)?",
    ),
    (
        "public_in_china",
        "bool",
        "服务是否面向中华人民共和国境内的公众提供？",
        "Is it offered to the public in the People's Republic of China?",
    ),
)


class ScopeError(ValueError):
    """An answers file that lacks an answer or gives one of the wrong type."""


@dataclass(frozen=True)
class Answers:
    """The provider's answers."""

    emotional_interaction: bool
    continuous: bool
    public_in_china: bool
    service_kind: str
    personas: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Answers:
        """Validate a mapping (an answers YAML file)."""
        if not isinstance(data, dict):
            raise ScopeError("the answers must be a mapping")
        missing = [k for k, _, _, _ in QUESTIONS if k not in data]
        if missing:
            raise ScopeError(f"missing answers: {', '.join(missing)}")
        for key in ("emotional_interaction", "continuous", "public_in_china"):
            if not isinstance(data[key], bool):
                raise ScopeError(f"{key} must be true or false, not {data[key]!r}")
        kind = str(data["service_kind"]).strip().lower().replace("-", "_").replace(" ", "_")
        return cls(
            data["emotional_interaction"],
            data["continuous"],
            data["public_in_china"],
            kind,
            list(data.get("personas") or []),
        )


def assess(answers: Answers, lang: str = "zh") -> dict[str, Any]:
    """Whether the Measures apply, and why, citing the Q&A."""
    zh = lang == "zh"
    kind_name = KINDS.get(answers.service_kind, (answers.service_kind, answers.service_kind))[0 if zh else 1]
    reasons: list[str] = []
    emotional = answers.emotional_interaction and answers.continuous
    if not answers.public_in_china:
        reasons.append(
            "Q2：《办法》适用于向中华人民共和国境内公众提供的服务；本服务不面向境内公众。"
            if zh
            else "Q2: the Measures cover services to the public in the People's Republic of China; this one is not."
        )
    if not answers.emotional_interaction:
        reasons.append(
            "Q2：本服务不模拟自然人人格特征、思维模式和沟通风格进行情感互动。"
            if zh
            else "Q2: the service does not simulate a natural person's personality, thinking and style in "
            "emotional interaction."
        )
    elif not answers.continuous:
        reasons.append(
            "Q2：本服务的情感互动不是持续性的。" if zh else "Q2: its emotional interaction is not continuous."
        )
    if answers.service_kind in EXCLUDED_KINDS and not emotional:
        reasons.append(
            f"Q2：提供{kind_name}等服务、不涉及持续性情感互动的，不适用本办法。"
            if zh
            else f"Q2: {kind_name} without continuous emotional interaction is out of scope."
        )
    applies = answers.public_in_china and emotional
    if applies:
        reasons.append(
            "Q2：本服务利用人工智能技术，向境内公众提供模拟自然人人格特征、思维模式和沟通风格的持续性情感互动服务，"
            "适用《办法》。"
            if zh
            else "Q2: the service uses AI to give the public in China continuous emotional interaction that "
            "simulates a natural person — the Measures apply."
        )
        if answers.service_kind in EXCLUDED_KINDS:
            reasons.append(
                f"Q2：虽然属于{kind_name}，但涉及持续性情感互动，不在排除范围内。"
                if zh
                else f"Q2: although it is {kind_name}, it involves continuous emotional interaction, so the "
                "exclusion does not apply."
            )
        reasons.append(
            "Q3：监管包容审慎、分类分级；companion-guard 的 cn-2026 策略包按风险等级和用户群体（成年人、未成年人、"
            "老年人）处理。"
            if zh
            else "Q3: supervision is inclusive, prudent, classified and graded; the cn-2026 pack grades by risk "
            "level and user group (adults, minors, the elderly)."
        )
    in_scope = [p for p in answers.personas if str(p.get("kind", "companion")) == "companion"]
    return {
        "applies": applies,
        "reasons": reasons,
        "service_kind": answers.service_kind,
        "personas_in_scope": [p.get("id") for p in in_scope],
        "personas_out_of_scope": [p.get("id") for p in answers.personas if p not in in_scope],
        "requirement": "S1",
    }
