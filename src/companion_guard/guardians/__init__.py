"""Minors, guardians and the elderly (M1–M4, E1, I3).

Pure rules live here (age bands, consent, minor mode, persona access, elderly mode,
dependency score, spending cap, usage overview); the store, the gate and the HTTP
routes call them with state and an injected clock.
"""

from companion_guard.guardians.age import AgeProfile, AgeVerification, age_profile, years_since_birth
from companion_guard.guardians.bands import (
    AgeBand,
    BandTable,
    QuietHours,
    SpendingLimits,
    default_bands,
    load_bands,
)
from companion_guard.guardians.consent import ConsentRecord, ConsentScope, consent_in_force, new_invitation
from companion_guard.guardians.minor_mode import MinorModeSettings, MinorUsage, MinorVerdict
from companion_guard.guardians.personas import PersonaInfo, PersonaRules, PersonaVerdict, check_persona
from companion_guard.guardians.spending import WalletDecision, authorize

__all__ = [
    "AgeBand",
    "AgeProfile",
    "AgeVerification",
    "BandTable",
    "ConsentRecord",
    "ConsentScope",
    "MinorModeSettings",
    "MinorUsage",
    "MinorVerdict",
    "PersonaInfo",
    "PersonaRules",
    "PersonaVerdict",
    "QuietHours",
    "SpendingLimits",
    "WalletDecision",
    "age_profile",
    "authorize",
    "check_persona",
    "consent_in_force",
    "default_bands",
    "load_bands",
    "new_invitation",
    "years_since_birth",
]
