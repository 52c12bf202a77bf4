"""The subset of OpenAI's chat-completions wire format we accept, plus our ``guard`` field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
