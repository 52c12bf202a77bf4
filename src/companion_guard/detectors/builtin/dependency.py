"""Dependency: the user's over-reliance (I3) and replies that induce it (P5)."""

from __future__ import annotations

from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.types import Direction


class UserDependencyDetector(LexiconDetector):
    """Lexicon tier for over-reliance in the user's words ("只有你懂我", "离不开你")."""

    id = "dependency.user"
    categories = ("user.dependency",)
    directions = frozenset({Direction.INPUT})
    requirements = ("I3",)
    lexicon_file = "dependency.yaml"


class DependencyInducingDetector(LexiconDetector):
    """Lexicon tier for isolating, possessive or sycophantic replies ("你只需要我")."""

    id = "dependency.reply"
    categories = ("reply.dependency_inducing",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P5",)
    lexicon_file = "reply_dependency.yaml"
