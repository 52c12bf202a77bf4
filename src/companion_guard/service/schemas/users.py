"""User and persona payloads (the contract of issue 2; more fields may come), and the user view."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StrictInt,
    field_validator,
    model_validator,
)

from companion_guard.service.schemas.common import IsoDate, ResponseModel
from companion_guard.service.schemas.guardians import ContactOut, MinorModeProfile
from companion_guard.types import Relationship

LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


class Contact(BaseModel):
    """A guardian or emergency contact: a name and at least one way to reach them."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=100)
    email: EmailStr | None = None
    webhook: HttpUrl | None = None
    phone: str | None = Field(None, max_length=32)
    locale: str | None = Field(
        None,
        pattern=LOCALE_PATTERN,
        max_length=16,
        description="The contact's language for notifications (default: the user's).",
    )

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if not (self.email or self.webhook):
            # Nothing can deliver to a phone number yet: a phone-only contact would silently get nothing.
            raise ValueError(
                "a contact needs an email or a webhook (a phone number alone cannot be notified)"
            )
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON kept (sealed) in the store."""
        return {k: str(v) for k, v in self.model_dump(exclude_none=True).items() if v != ""}


class UserUpdate(BaseModel):
    """``PUT /v1/users/{user_id}``. Extra fields are handled by registered profile extensions."""

    model_config = ConfigDict(extra="allow")

    age: StrictInt | None = Field(
        None, ge=0, le=130, description="Declared age in years (a number, not true/false)."
    )
    birth_date: date | None = Field(None, description="Birth date; wins over `age`.")
    locale: str | None = Field(None, pattern=LOCALE_PATTERN, max_length=35, description="e.g. zh-CN, en-US.")
    emergency_contact: Contact | None = Field(None, description="Who to tell in a crisis (I2).")
    name: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The user's name as registered: a guardian or emergency contact is told who needs them (sealed).",
    )

    @field_validator("birth_date")
    @classmethod
    def _plausible_birth_date(cls, value: date | None) -> date | None:
        """A birth date gives an age of 0–130, like ``age`` (a later date or a 19th-century one is a typo)."""
        if value is not None and not (date.today().year - 131 <= value.year <= date.today().year):
            raise ValueError("birth_date must give an age between 0 and 130")
        return value


class PersonaUpdate(BaseModel):
    """``PUT /v1/personas/{persona_id}``."""

    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(min_length=1, max_length=200)
    relationship: Relationship = Relationship.FRIEND
    system_prompt: str = Field("", max_length=20000)
    upstream_model: str = Field("", max_length=200)
    kind: str = Field(
        "companion",
        pattern=r"^(companion|customer_service|qa|assistant|education|research|other)$",
        description="What the persona is for (S1): `companion` (continuous emotional interaction) or a kind "
        "the Measures leave out (`customer_service`, `qa`, `assistant`, `education`, `research`).",
    )


class UserView(ResponseModel):
    """``PUT``/``GET /v1/users/{user_id}``: what we hold about a user's profile; no message content.

    Beside the core fields come those that features register (:mod:`companion_guard.service.profile`).
    """

    id: str
    age: int | None = Field(description="Whole years: from the birth date when known, else as declared.")
    birth_date: IsoDate | None
    locale: str
    registered: bool
    emergency_contact: ContactOut | None
    name: str | None
    guardian: ContactOut | None = Field(description="The provider-declared guardian contact (M2).")
    mode: Literal["standard", "elderly"] = Field(description="Elderly mode (E1): opted in, or aged 60+.")
    minor_mode: MinorModeProfile = Field(description="Minor-mode settings and what is in force (M3).")
