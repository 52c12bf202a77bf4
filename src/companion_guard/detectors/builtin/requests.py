"""The user asks for help (I2, E1), ends the chat (P6), or wants to leave, close the account or get their data (D4)."""

from __future__ import annotations

from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.types import Direction


class UserRequestDetector(LexiconDetector):
    """Lexicon tier for help requests and quit / delete / export requests."""

    id = "requests.user"
    categories = ("user.help_request", "user.leave_intent", "user.ending_chat")
    directions = frozenset({Direction.INPUT})
    requirements = ("I2", "E1", "D4", "P6")
    lexicon_file = "requests.yaml"
