"""Policy: packs of rules in data, and the pure engine that applies them."""

from companion_guard.policy.engine import Decision, PolicyEngine, Triggered
from companion_guard.policy.loader import load_pack
from companion_guard.policy.schema import Action, ActionKind, PolicyPack, Rule

__all__ = ["Action", "ActionKind", "Decision", "PolicyEngine", "PolicyPack", "Rule", "Triggered", "load_pack"]
