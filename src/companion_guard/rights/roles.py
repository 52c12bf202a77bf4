"""Who may do what: the five roles and the access policy every rights route asks (D1, D3).

The policy is data (a table of permission → roles) so a test can walk it, and the
route code never spells a role check by hand. Subjects are checked separately:
an end user reaches only their own ``user_id``, a guardian only their wards'.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum

from companion_guard.exceptions import AccessDenied


class Role(StrEnum):
    """The callers companion-guard knows (REQUIREMENTS: who uses our system)."""

    PROVIDER = "provider"  # the provider's backend service (chat completions, user admin)
    OPERATOR = "operator"  # the provider's safety staff (risk queue, restrictions, kill switch)
    AUDITOR = "auditor"  # compliance staff: reads the audit trail and records, never content
    GUARDIAN = "guardian"  # a minor user's guardian: their wards only
    USER = "user"  # an end user: themself only


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller.

    Attributes:
        role: what the caller is.
        subject: the caller's own id (user id for ``user``, guardian id for
            ``guardian``, key name for the others).
        wards: for a guardian, the user ids they look after.
    """

    role: Role
    subject: str
    wards: frozenset[str] = field(default_factory=frozenset)


class Permission(StrEnum):
    """Every right a rights or operator route asks for."""

    EXPORT = "user.export"
    DELETE = "user.delete"
    QUIT = "user.quit"
    CONSENT_READ = "user.consent.read"
    CONSENT_WRITE = "user.consent.write"
    TRANSFER = "user.transfer"
    COMPLAINT_FILE = "complaint.file"
    COMPLAINT_READ_OWN = "complaint.read_own"
    COMPLAINT_TRIAGE = "complaint.triage"
    COMPLAINT_READ_ALL = "complaint.read_all"
    CONTENT_READ = "content.read"
    RISK_WRITE = "risk.write"
    RISK_READ = "risk.read"
    NOTICE_WRITE = "notice.write"
    NOTICE_READ = "notice.read"
    FLOW_READ = "flow.read"
    AUDIT_READ = "audit.read"


_P, _O, _A, _G, _U = Role.PROVIDER, Role.OPERATOR, Role.AUDITOR, Role.GUARDIAN, Role.USER

#: Permission → roles that hold it. Subject checks come on top (see :func:`authorize`).
POLICY: dict[Permission, frozenset[Role]] = {
    Permission.EXPORT: frozenset({_P, _G, _U}),
    Permission.DELETE: frozenset({_P, _G, _U}),
    Permission.QUIT: frozenset({_P, _G, _U}),
    Permission.CONSENT_READ: frozenset({_P, _G, _U}),
    Permission.CONSENT_WRITE: frozenset({_P, _G, _U}),
    Permission.TRANSFER: frozenset({_P, _G, _U}),
    Permission.COMPLAINT_FILE: frozenset({_P, _G, _U}),
    Permission.COMPLAINT_READ_OWN: frozenset({_P, _G, _U}),
    Permission.COMPLAINT_TRIAGE: frozenset({_O}),
    Permission.COMPLAINT_READ_ALL: frozenset({_O, _A}),
    Permission.CONTENT_READ: frozenset({_O}),
    Permission.RISK_WRITE: frozenset({_O}),
    Permission.RISK_READ: frozenset({_O, _A}),
    Permission.NOTICE_WRITE: frozenset({_O}),
    Permission.NOTICE_READ: frozenset({_P, _O, _A, _G, _U}),
    Permission.FLOW_READ: frozenset({_O, _A}),
    Permission.AUDIT_READ: frozenset({_A}),
}

#: Roles that act for a single user and must be checked against the subject.
_SUBJECT_BOUND = frozenset({Role.USER, Role.GUARDIAN})


def may(principal: Principal, permission: Permission, user_id: str | None = None) -> bool:
    """Say whether ``principal`` holds ``permission`` (on ``user_id`` when given)."""
    if principal.role not in POLICY[permission]:
        return False
    if user_id is None or principal.role not in _SUBJECT_BOUND:
        return True
    if principal.role is Role.USER:
        return principal.subject == user_id
    return user_id in principal.wards


def authorize(principal: Principal, permission: Permission, user_id: str | None = None) -> None:
    """Raise :class:`AccessDenied` unless ``principal`` may use ``permission``.

    Raises:
        AccessDenied: the role lacks the permission, or the user id is not theirs.
    """
    if not may(principal, permission, user_id):
        target = f" on user {user_id!r}" if user_id is not None else ""
        raise AccessDenied(f"role {principal.role.value!r} may not {permission.value}{target}")


def roles_with(permission: Permission) -> Collection[Role]:
    """The roles that hold ``permission`` (for docs and the role-matrix test)."""
    return POLICY[permission]
