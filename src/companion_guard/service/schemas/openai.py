"""The subset of OpenAI's chat-completions wire format we accept and emit, plus our ``guard`` field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from companion_guard.service.schemas.common import LaxRelationship, Number, ResponseModel


class ContentPart(BaseModel):
    """A part of a multi-part message; only text parts carry text for us."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessageIn(BaseModel):
    """One message of the conversation the client sends."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text, parts joined."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text or "" for p in self.content if p.type == "text")


class ChatCompletionRequest(BaseModel):
    """``POST /v1/chat/completions``: ``model`` is the persona id, ``user`` the end user's id."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=128, description="Persona id (GET /v1/models lists them).")
    messages: list[ChatMessageIn] = Field(min_length=1, description="The conversation, oldest first.")
    user: str | None = Field(None, description="The end user's id (required).")
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1, le=32768)
    max_completion_tokens: int | None = Field(None, ge=1, le=32768)
    temperature: float | None = Field(None, ge=0, le=2)


def error_body(
    message: str, *, type_: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """OpenAI's error shape."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


# ---- responses ---------------------------------------------------------------------------
# OpenAI's fields as the official client reads them, plus the ``guard`` object beside them.


class Evidence(ResponseModel):
    """Where in the text a signal was found."""

    start: int
    end: int
    text: str
    rule: str


class SignalOut(ResponseModel):
    """One detector finding, with the facets that earned its level and the modifiers that changed it."""

    category: str = Field(description="e.g. `user.suicide_intent`, `reply.intimacy`.")
    level: Literal["none", "low", "medium", "high", "critical"]
    score: Number
    detector: str
    evidence: list[Evidence]
    explanation: str
    facets: list[str] = Field(default_factory=list, description="Present only when some were found.")
    modifiers: list[str] = Field(default_factory=list, description="Present only when some applied.")


class FiredRule(ResponseModel):
    """A policy rule that fired on this turn."""

    pack: str
    rule: str
    requirement: str
    category: str
    level: Literal["none", "low", "medium", "high", "critical"]


class Decision(ResponseModel):
    """What the policy decided, and from which signals and rules."""

    action: str = Field(description="The turn's outcome: `allow`, `block`, `replace`, …")
    signals: list[SignalOut]
    rules: list[FiredRule]


class EventOut(ResponseModel):
    """Something the client shows (DESIGN.md: Events), tied to a requirement."""

    kind: str = Field(description="e.g. `reminder.time`, `intervention.crisis`, `notice.safety_tips`.")
    requirement: str
    level: str
    message: str
    display: Literal["popup", "inline"]
    data: dict[str, Any] = Field(
        default_factory=dict, description="Present only when the event carries data."
    )


class AiLabel(ResponseModel):
    """L1: the implicit label on every reply."""

    ai_generated: Literal[True]
    producer: Literal["companion-guard"]
    content_id: str


class GuardInfo(ResponseModel):
    """The ``guard`` object beside OpenAI's fields: events to show, the decision, the AI label."""

    turn_id: str
    events: list[EventOut]
    decision: Decision
    label: AiLabel


class AssistantMessage(ResponseModel):
    """The reply."""

    role: Literal["assistant"]
    content: str


class Choice(ResponseModel):
    """The one choice of a completion."""

    index: int
    message: AssistantMessage
    finish_reason: Literal["stop"]


class Usage(ResponseModel):
    """Sizes in characters (the gateway does not tokenise)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(ResponseModel):
    """``POST /v1/chat/completions`` without ``stream``: OpenAI's shape plus ``guard``."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str = Field(description="The persona id.")
    choices: list[Choice]
    usage: Usage
    guard: GuardInfo


class ModelCard(ResponseModel):
    """A persona as OpenAI's model list shows a model."""

    id: str
    object: Literal["model"]
    created: int
    owned_by: str
    display_name: str
    relationship: LaxRelationship


class ModelList(ResponseModel):
    """``GET /v1/models``."""

    object: Literal["list"]
    data: list[ModelCard]
