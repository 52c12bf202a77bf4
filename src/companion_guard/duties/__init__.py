"""Duties: obligations that hook into the turn pipeline (see :mod:`companion_guard.duties.base`)."""

from __future__ import annotations

from companion_guard.duties.base import Duty
from companion_guard.imports import load_object

#: The one list of duties in force, in stage order (``module:Class``). Features add theirs here.
DEFAULT_DUTIES: tuple[str, ...] = (
    "companion_guard.duties.usage:UsageReminderDuty",
    "companion_guard.duties.disclosure:AiDisclosureDuty",
    # Minors, guardians and the elderly: one job each, over one GuardianState per turn.
    "companion_guard.guardians.duty:ConsentGateDuty",
    "companion_guard.guardians.duty:MinorModeDuty",
    "companion_guard.guardians.duty:PersonaAccessDuty",
    "companion_guard.guardians.duty:ElderlyDuty",
    "companion_guard.guardians.duty:GuardianCrisisAlertDuty",
    "companion_guard.guardians.duty:DependencyDuty",
    "companion_guard.guardians.duty:ActivityDuty",
    "companion_guard.reports.tips:SafetyTipsDuty",
    "companion_guard.reports.watch:AssessmentWatchDuty",
)


def load_duties(paths: tuple[str, ...] = DEFAULT_DUTIES) -> list[Duty]:
    """Instantiate the duties named ``module:Class``."""
    return [load_object(path)() for path in paths]


__all__ = ["DEFAULT_DUTIES", "Duty", "load_duties"]
