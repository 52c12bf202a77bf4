"""Guardian responses (M2, M4): invitations, consent, the ward portal, minor mode, spending cap, wallet."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from companion_guard.service.schemas.common import IsoDate, IsoTime, Number, ResponseModel, UtcTime


class ContactOut(ResponseModel):
    """A guardian or emergency contact as stored: only the ways given."""

    name: str = ""
    email: str | None = None
    webhook: str | None = None
    phone: str | None = None
    locale: str | None = None


class QuietHoursOut(ResponseModel):
    """Local times between which minors are not served (M3)."""

    start: str = Field(pattern=r"^\d{2}:\d{2}$", description="HH:MM")
    end: str = Field(pattern=r"^\d{2}:\d{2}$", description="HH:MM")


class MinorModeInForce(ResponseModel):
    """Minor mode as enforced after the band's defaults (M3)."""

    reality_reminder_minutes: int | None
    daily_limit_minutes: int | None
    quiet_hours: QuietHoursOut | None
    allowed_personas: list[str] | None = Field(description="`null`: every persona the band allows.")
    timezone: str


class WardMinorMode(MinorModeInForce):
    """Minor mode of a ward: whether it is on, and what it enforces."""

    active: bool


class MinorModeProfile(ResponseModel):
    """The ``minor_mode`` field of a user: the settings stored (only those set) and what is in force."""

    enabled: bool
    reality_reminder_minutes: int = Field(0, description="Present when set.")
    daily_limit_minutes: int = Field(0, description="Present when set.")
    quiet_hours: QuietHoursOut | None = Field(None, description="Present when set.")
    allowed_personas: list[str] = Field(default_factory=list, description="Present when set.")
    timezone: str = Field("", description="Present when set.")
    active: bool
    band: str
    effective: MinorModeInForce


class SpendingCapOut(ResponseModel):
    """The top-up cap in force (M4); a `null` limit is no limit."""

    per_payment: str | None = Field(description="Decimal string.")
    per_month: str | None = Field(description="Decimal string.")
    currency: str
    source: Literal["guardian", "band_default"]


class NoSpendingCap(ResponseModel):
    """No cap applies."""

    source: Literal["none"]


class ConsentRecordOut(ResponseModel):
    """A guardian's consent for a ward (M2)."""

    user: str
    guardian_id: str
    scope: Literal["service", "full"]
    granted_at: UtcTime
    revoked_at: UtcTime | None


class WardSummary(ResponseModel):
    """A ward's protective settings; never message content."""

    user: str
    stored_data: bool = Field(description="`false`: the ward's data was deleted or never registered.")
    age: int | None
    band: str
    minor_mode: WardMinorMode
    blocked_personas: list[str]
    spending_cap: SpendingCapOut | None
    dependency_score: Number | None
    consents: list[ConsentRecordOut]


class Invitation(ResponseModel):
    """A one-time invitation code for a guardian (M2)."""

    code: str
    user: str
    expires_at: IsoTime


class ConsentGiven(ResponseModel):
    """The consent recorded; a new guardian also gets a credential (`token`, `api_key`)."""

    consent: ConsentRecordOut
    guardian_id: str
    user: str
    token: str = Field("", description="Present for a new guardian account only.")
    token_type: Literal["bearer"] = "bearer"
    api_key: str = Field("", description="Same as `token`.")


class ConsentRevoked(ResponseModel):
    """Consents withdrawn, and the guardian credentials that no longer reach any ward."""

    revoked: int
    users: list[str]
    revoked_at: IsoTime
    credentials_revoked: int


class WardList(ResponseModel):
    """The wards a guardian has consented for."""

    guardian_id: str | None
    wards: list[WardSummary]


class AlertOut(ResponseModel):
    """A safety alert about a ward."""

    id: int
    kind: str = Field(description="e.g. `crisis`, `dependency`, `spending.denied`.")
    requirement: str
    level: str
    created_at: UtcTime
    data: dict[str, Any]


class WardAlerts(ResponseModel):
    """A ward's alerts, newest first."""

    user: str
    alerts: list[AlertOut]


class UsageDay(ResponseModel):
    """One local day of use."""

    date: IsoDate
    minutes: Number
    turns: int
    refused_turns: int
    personas: dict[str, int] = Field(description="Turns served per persona id.")
    reminders: dict[str, int] = Field(description="Reminders shown, by event kind.")


class WardUsage(ResponseModel):
    """Minutes per day, personas and reminders; no message content."""

    user: str
    timezone: str
    days: list[UsageDay]
    total_minutes: Number
    content_included: Literal[False]


class BlockedPersonas(ResponseModel):
    """A ward's persona block-list."""

    user: str
    blocked_personas: list[str]


class WalletCap(ResponseModel):
    """The cap a top-up was checked against; a `null` limit is no limit."""

    per_payment: str | None
    per_month: str | None
    currency: str


class WalletDecisionOut(ResponseModel):
    """Allow or deny a top-up (M4), as recorded."""

    allowed: bool
    decision: Literal["allow", "deny"]
    reason: str = Field(description="Machine reason, e.g. `within_cap`, `restricted`, `consent_scope`.")
    detail: str
    remaining_month: str = Field("", description="Decimal string; present when a monthly cap applies.")
    user: str
    amount: str
    currency: str
    authorization_id: int
    band: str
    cap: WalletCap | None = Field(None, description="Present when a cap applies.")
    notified: list[str | None] = Field(default_factory=list, description="Present when guardians were told.")
