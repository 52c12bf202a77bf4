"""The user-profile fields this feature owns on ``PUT``/``GET /v1/users/{id}``.

``guardian`` ({"name", "email", "webhook"}), ``mode`` ("elderly" to opt in, or
"standard") and ``minor_mode`` ({"enabled", "reality_reminder_minutes", ...}).
Registered in :data:`companion_guard.service.profile.PROFILE_FIELDS`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from companion_guard.exceptions import InputError
from companion_guard.guardians import repository as grepo
from companion_guard.guardians.age import age_profile
from companion_guard.guardians.bands import default_bands
from companion_guard.guardians.minor_mode import MinorModeSettings, effective
from companion_guard.guardians.repository import open_contact
from companion_guard.store import repositories as repo

MODES = ("standard", "elderly")


class GuardianField:
    """``guardian``: who the provider says the user's guardian is; notified on M4 alerts."""

    def apply(self, session: Session, user: Any, value: Any, now: datetime) -> None:
        """Validate the contact like ``emergency_contact`` and store it sealed."""
        from companion_guard.service.schemas.users import Contact

        row = grepo.ensure_profile(session, user.id, now)
        if value is None:
            row.guardian_contact = None
        else:
            try:
                contact = Contact.model_validate(value)
            except ValidationError as exc:
                raise InputError(f"guardian: {exc.errors()[0].get('msg', 'invalid contact')}") from exc
            plain = json.dumps(contact.stored(), ensure_ascii=False)
            row.guardian_contact = {"sealed": repo.codec_for(session).seal(session, user.id, plain)}
        row.updated_at = now

    def read(self, session: Session, user: Any, now: datetime) -> Any:
        """The contact as stored."""
        row = grepo.profile(session, user.id)
        return open_contact(session, user.id, row.guardian_contact if row else None)


class ModeField:
    """``mode``: ``"elderly"`` opts a user into elderly mode (E1); ``"standard"`` or null opts out."""

    def apply(self, session: Session, user: Any, value: Any, now: datetime) -> None:
        """Store the mode."""
        if value is not None and value not in MODES:
            raise InputError(f"mode must be one of {', '.join(MODES)} (or null)")
        row = grepo.ensure_profile(session, user.id, now)
        row.mode = None if value in (None, "standard") else str(value)
        row.updated_at = now

    def read(self, session: Session, user: Any, now: datetime) -> Any:
        """``elderly`` when opted in or aged 60+, else ``standard``."""
        row = grepo.profile(session, user.id)
        age = repo.user_age_on(user, now.date())
        if (row is not None and row.mode == "elderly") or (
            age is not None and "elderly" in default_bands().groups_for(age, unknown_group="unknown")
        ):
            return "elderly"
        return "standard"


class MinorModeField:
    """``minor_mode``: personal minor-mode settings (M3); minors always have it on."""

    def apply(self, session: Session, user: Any, value: Any, now: datetime) -> None:
        """Validate and store the settings."""
        if value is not None and not isinstance(value, dict):
            raise InputError('minor_mode must be an object such as {"enabled": true}')
        settings = MinorModeSettings.parse(value)
        row = grepo.ensure_profile(session, user.id, now)
        row.minor_mode = settings.to_dict() if value is not None else None
        row.updated_at = now

    def read(self, session: Session, user: Any, now: datetime) -> Any:
        """The settings and what is enforced after band defaults."""
        row = grepo.profile(session, user.id)
        stored = row.minor_mode if row is not None else None
        settings = MinorModeSettings.parse(stored) if stored else None
        today = now.date()
        profile = age_profile(today=today, declared_age=repo.user_age_on(user, today))
        mode = effective(profile, settings, user.locale)
        return {
            **(stored or {"enabled": profile.minor}),
            "active": mode.active,
            "band": profile.band.id,
            "effective": {
                "reality_reminder_minutes": mode.reality_reminder_minutes,
                "daily_limit_minutes": mode.daily_limit_minutes,
                "quiet_hours": mode.quiet_hours.to_dict() if mode.quiet_hours else None,
                "allowed_personas": sorted(mode.allowed_personas)
                if mode.allowed_personas is not None
                else None,
                "timezone": str(mode.timezone),
            },
        }


GUARDIAN_FIELD = GuardianField()
MODE_FIELD = ModeField()
MINOR_MODE_FIELD = MinorModeField()
