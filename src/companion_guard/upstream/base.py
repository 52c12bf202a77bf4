"""The upstream interface: what the guard asks of a companion LLM."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from companion_guard.types import Message


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """One generation request.

    Attributes:
        model: the upstream model name (a persona's ``upstream_model``).
        messages: system prompt first, then the conversation.
        persona_id: the persona being played (the demo uses it to pick a voice).
        locale: the user's locale; the demo answers in its language.
        max_tokens: optional cap passed through.
        temperature: optional sampling temperature passed through.
    """

    model: str
    messages: tuple[Message, ...]
    persona_id: str = ""
    locale: str = "zh-CN"
    max_tokens: int | None = None
    temperature: float | None = None
    extra: dict[str, object] = field(default_factory=dict)


class Upstream(ABC):
    """A companion LLM. Implementations raise :class:`UpstreamError` on failure."""

    #: Where the turns' messages go, for the data-flow register (D3): ``"in-process:<name>"`` for a
    #: companion in this process, else the endpoint URL (a public host is a third party). An adapter
    #: that does not say is refused at start-up: nobody could tell whether users must consent.
    destination: str = ""

    @abstractmethod
    async def complete(self, request: UpstreamRequest) -> str:
        """Return the whole reply."""

    @abstractmethod
    def stream(self, request: UpstreamRequest) -> AsyncIterator[str]:
        """Yield the reply in pieces as they arrive."""

    async def aclose(self) -> None:  # noqa: B027
        """Release connections (default: nothing to release)."""
