"""Duties: obligations that hook into the turn pipeline (see :mod:`companion_guard.duties.base`)."""

from __future__ import annotations

from typing import Any

from companion_guard.duties.base import REQUIRED_PROTECTIONS, Duty
from companion_guard.imports import load_object

#: The one list of duties in force, in stage order (``module:Class``). Features add theirs here.
DEFAULT_DUTIES: tuple[str, ...] = (
    # Operator controls and account state first: the kill switch, suspension, closed accounts (D3–D5).
    "companion_guard.rights.duty:RightsDuty",
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


def duty_classes(paths: tuple[str, ...] = DEFAULT_DUTIES) -> list[type[Duty]]:
    """The duty classes named ``module:Class``, in stage order (what runs, without building it)."""
    classes: list[type[Duty]] = []
    for path in paths:
        cls = load_object(path)
        if not (isinstance(cls, type) and issubclass(cls, Duty)):
            raise TypeError(f"{path} is not a Duty class")
        classes.append(cls)
    return classes


def load_duties(paths: tuple[str, ...], parts: Any) -> list[Duty]:
    """Build the duties named ``module:Class``, in order, from the gateway's parts."""
    return [cls.build(parts) for cls in duty_classes(paths)]


__all__ = ["DEFAULT_DUTIES", "REQUIRED_PROTECTIONS", "Duty", "duty_classes", "load_duties"]
