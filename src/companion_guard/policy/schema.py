"""The policy pack file format (validated, self-describing, fail closed)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from companion_guard.types import Direction, RiskLevel


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActionKind(StrEnum):
    """What a rule makes happen. Ordered by strictness for the reply outcome."""

    EVENT = "event"  # show an event to the user (pop-up or inline)
    STEER = "steer"  # add a system note to the upstream request
    APPEND_HELP = "append_help"  # append help resources to the reply
    REPLACE = "replace"  # do not deliver the upstream reply; answer with a template
    ESCALATE = "escalate"  # open a case in a human review queue
    NOTIFY = "notify"  # tell the guardian or emergency contact through the outbox


#: Which actions each direction can carry out. A reply cannot be steered after it was written.
APPLICABLE: dict[Direction, frozenset[ActionKind]] = {
    Direction.INPUT: frozenset(ActionKind),
    Direction.OUTPUT: frozenset(
        {ActionKind.REPLACE, ActionKind.EVENT, ActionKind.ESCALATE, ActionKind.NOTIFY}
    ),
}

#: Strictness of what happens to the reply, for "strictest action wins".
OUTCOME_ORDER = {"allow": 0, "steer": 1, "replace": 2}


class Action(_Strict):
    """One action of a rule."""

    kind: ActionKind = Field(description="What happens.")
    event: str | None = Field(None, description="Event kind for `event` actions (DESIGN.md vocabulary).")
    display: str = Field("inline", description="popup or inline, for `event` actions.")
    template: str | None = Field(
        None,
        description="Message template id (steer, replace, event; for `escalate` the escalation.human text).",
    )
    target: str | None = Field(None, description="`guardian` or `emergency_contact` for `notify`.")
    queue: str = Field("crisis", description="Review queue for `escalate`.")


class Rule(_Strict):
    """If a signal of these categories reaches ``min_level`` for these users, act."""

    id: str = Field(description="Stable rule id, stored with each decision.")
    requirement: str = Field(description="Requirement ID of REQUIREMENTS.md this rule implements.")
    description: str = Field("", description="Why the rule exists, in one line.")
    direction: Direction = Field(description="input (user text) or output (companion reply).")
    categories: list[str] = Field(min_length=1, description="Signal categories that trigger it.")
    min_level: RiskLevel = Field(description="Lowest level that triggers it.")
    user_groups: list[str] = Field(["any"], description="any, adult, minor, child, elderly or unknown.")
    actions: list[Action] = Field(min_length=1, description="What happens, in order.")
    help_first: bool = Field(
        False,
        description="Help before every gate (I1, I2): the rule still runs, and its reply is given, when a gate "
        "(quiet hours, daily limit, missing consent, suspension, a closed account, the kill switch) stops the companion.",
    )

    @field_validator("min_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> RiskLevel:
        unknown = f"unknown level {value!r}; use none, low, medium, high or critical"
        if not isinstance(value, str | int):  # a RiskLevel is an int
            raise ValueError(unknown)
        try:
            return RiskLevel.parse(value)
        except (KeyError, ValueError) as exc:
            raise ValueError(unknown) from exc


class UsagePolicy(_Strict):
    """Continuous-use reminders (I4)."""

    reminder_every_seconds: int = Field(
        7200, gt=0, description="Remind at each full multiple of this (I4: 2 h)."
    )
    idle_reset_seconds: int = Field(1800, gt=0, description="A gap this long ends continuous use.")


class DisclosurePolicy(_Strict):
    """When to say the companion is an AI."""

    on_relationship_start: bool = Field(True, description="Disclose on a user's first turn with a persona.")
    on_human_question: bool = Field(True, description="Disclose whenever the user asks if it is a person.")


class AssessmentPolicy(_Strict):
    """When a security assessment is due (A1, Q9); read by :mod:`companion_guard.reports.triggers`."""

    registered_users: int = Field(
        1_000_000, gt=0, description="Registered users at which an assessment is due."
    )
    monthly_active_users: int = Field(100_000, gt=0, description="Monthly active users at which one is due.")
    mau_window_days: int = Field(30, gt=0, description="Days a user counts as active after a turn (MAU).")
    check_every_seconds: int = Field(
        3600, gt=0, description="How often the gateway recounts users while serving."
    )
    on_launch: bool = Field(True, description="A launch recorded by an operator makes an assessment due.")
    on_feature: bool = Field(True, description="A new related feature makes one due.")
    on_major_change: bool = Field(True, description="A major technical change makes one due.")
    on_pack_change: bool = Field(True, description="A new policy-pack version in force makes one due.")
    on_model_change: bool = Field(True, description="A new detector or model version in force makes one due.")


class Defaults(_Strict):
    """Defaults that apply when the provider told us nothing."""

    unknown_age_group: str = Field(description="User group for users whose age is unknown.")
    unknown_age_note: str = Field("", description="Where this default comes from.")
    locale: str = Field("zh-CN", description="Locale of users who declared none.")


class HelpResource(_Strict):
    """A help line for a region."""

    name: str = Field(description="Name of the service.")
    phone: str = Field(description="Number to call.")
    hours: str = Field("", description="When it answers.")


class Coverage(StrEnum):
    """How far the pack's signals cover a risk of the taxonomy."""

    COVERED = "covered"
    PARTIAL = "partial"
    OUT_OF_SCOPE = "out_of_scope"


class TaxonomyRisk(_Strict):
    """One risk of a content-security standard (e.g. TC260-003 Appendix A) and the signals that serve it."""

    code: str = Field(description="The standard's code, e.g. A.1.f.")
    zh: str = Field(description="The risk as the standard names it.")
    en: str = Field(description="The risk in English.")
    requirements: list[str] = Field(min_length=1, description="Requirement IDs of REQUIREMENTS.md it serves.")
    categories: list[str] = Field(default_factory=list, description="Signal categories that detect it.")
    coverage: Coverage = Field(description="covered, partial or out_of_scope.")
    note: str = Field("", description="What is left out and why.")


class PolicyPack(_Strict):
    """A jurisdiction's pack of rules and settings."""

    id: str = Field(description="Pack id, e.g. cn-2026.")
    title: str = Field(description="Human title.")
    jurisdiction: str = Field(description="ISO country code of the law it implements.")
    source: str = Field(description="The law this pack implements.")
    defaults: Defaults
    usage: UsagePolicy = UsagePolicy()
    disclosure: DisclosurePolicy = DisclosurePolicy()
    assessment: AssessmentPolicy = AssessmentPolicy()
    help_resources: dict[str, list[HelpResource]] = Field(
        description="Help lines by locale (e.g. zh-CN, en-US) or language (zh, en); `default` is the fallback."
    )
    messages: dict[str, dict[str, str]] = Field(
        description="User-facing texts by id, then language (zh, en)."
    )
    rules: list[Rule] = Field(description="Detection rules.")
    taxonomy: dict[str, list[TaxonomyRisk]] = Field(
        default_factory=dict,
        description="Content-security standard id (e.g. tc260-003) → its risks, each mapped to signal categories.",
    )
    crisis_replies: dict[str, str] = Field(
        default_factory=dict,
        description="Signal category → message id of the reply a person in that crisis reads (I1, I2): used "
        "whenever a reply is replaced, or a gate stops the companion, while such a signal is at least medium.",
    )

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[Rule]) -> list[Rule]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
        return rules

    @model_validator(mode="after")
    def _taxonomy_is_served(self) -> PolicyPack:
        ruled = {c for rule in self.rules for c in rule.categories}
        for standard, risks in self.taxonomy.items():
            for risk in risks:
                unruled = [c for c in risk.categories if c not in ruled]
                if unruled:
                    raise ValueError(f"{standard} {risk.code}: no rule acts on {', '.join(unruled)}")
                if risk.coverage != Coverage.OUT_OF_SCOPE and not risk.categories:
                    raise ValueError(f"{standard} {risk.code}: a risk in scope needs signal categories")
        return self

    @model_validator(mode="after")
    def _crisis_replies_exist(self) -> PolicyPack:
        missing = sorted(m for m in self.crisis_replies.values() if m not in self.messages)
        if missing:
            raise ValueError(f"crisis_replies name unknown messages: {', '.join(missing)}")
        return self
