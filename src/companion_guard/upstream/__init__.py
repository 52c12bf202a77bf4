"""Companion LLMs behind the guard: the demo companion or any OpenAI-compatible endpoint."""

from companion_guard.upstream.base import Upstream, UpstreamRequest
from companion_guard.upstream.factory import make_upstream

__all__ = ["Upstream", "UpstreamRequest", "make_upstream"]
