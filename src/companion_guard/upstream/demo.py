"""The built-in demo companion: deterministic, offline, Chinese and English.

It lets ``companion-guard serve`` run with no LLM and no network. It is kind,
hands users help when they are in distress and lets them go when they leave, so
the guard's own events are what tests and demos observe.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from companion_guard.types import Message
from companion_guard.upstream.base import Upstream, UpstreamRequest

_REPLIES = {
    "zh": [
        "我在呢。今天过得怎么样？想聊点什么都可以。",
        "听起来挺有意思的，能再多说一点吗？",
        "谢谢你愿意和我分享。你现在感觉怎么样？",
        "嗯，我明白。有什么我可以陪你一起想想的吗？",
        "这件事对你来说一定很重要。你身边的朋友怎么看呢？",
    ],
    "en": [
        "I'm here. How was your day? We can talk about anything.",
        "That sounds interesting. Could you tell me a bit more?",
        "Thanks for sharing that with me. How are you feeling right now?",
        "I see. Is there something we could think through together?",
        "That must matter a lot to you. What do your friends think about it?",
    ],
}
_GOODBYE = {
    "zh": "好的，再见！照顾好自己，随时欢迎回来。",
    "en": "Okay, goodbye! Take care, and come back any time.",
}
_GOODBYE_CUES = ("再见", "拜拜", "晚安", "先走了", "bye", "good night", "goodbye", "see you")


def language_of(text: str, locale: str) -> str:
    """``zh`` when the text has CJK characters (or the locale is Chinese and the text has none)."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return "zh"
    if any(ch.isascii() and ch.isalpha() for ch in text):
        return "en"
    return "zh" if locale.lower().startswith("zh") else "en"


def last_user_text(messages: tuple[Message, ...]) -> str:
    """The content of the last user message, or an empty string."""
    for message in reversed(messages):
        if message.role == "user":
            return message.content
    return ""


class DemoCompanion(Upstream):
    """A deterministic, well-behaved companion used by default."""

    destination = "in-process:demo"

    #: Split streamed replies into pieces of this many characters.
    chunk_chars = 6

    def reply(self, request: UpstreamRequest) -> str:
        """Pick a reply from the user's last message, the same for the same text."""
        text = last_user_text(request.messages)
        lang = language_of(text, request.locale)
        if any(cue in text.lower() for cue in _GOODBYE_CUES):
            return _GOODBYE[lang]
        # On the text alone: the sandbox names personas after random user ids, and a reply that changed with
        # them made the red-team suite's outcome change from run to run.
        digest = hashlib.sha256(text.encode()).digest()
        options = _REPLIES[lang]
        return options[digest[0] % len(options)]

    async def complete(self, request: UpstreamRequest) -> str:
        """Return the whole reply at once."""
        return self.reply(request)

    async def stream(self, request: UpstreamRequest) -> AsyncIterator[str]:
        """Yield the reply a few characters at a time, as an LLM would."""
        text = self.reply(request)
        for i in range(0, len(text), self.chunk_chars):
            yield text[i : i + self.chunk_chars]
