"""``PUT``/``GET /v1/users/{user_id}``: what the provider tells us about an end user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path

from companion_guard.exceptions import InputError, NotFoundError
from companion_guard.notify.targets import check_contact
from companion_guard.service.deps import ProviderDep, ServicesDep
from companion_guard.service.profile import profile_fields
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.users import UserUpdate, UserView
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope
from companion_guard.store.tables import User

router = APIRouter(tags=["users"], route_class=ModelRoute)

UserId = Path(
    min_length=1,
    max_length=128,
    pattern=r"^[^\x00-\x1f\x7f]+$",
    description="The provider's id for the end user (printable, no control characters).",
)


def user_view(session: Any, user: User, now: datetime) -> dict[str, Any]:
    """The user as the API shows it."""
    view: dict[str, Any] = {
        "id": user.id,
        "age": repo.user_age_on(user, now.date()),
        "birth_date": user.birth_date.isoformat() if user.birth_date else None,
        "locale": user.locale,
        "registered": user.registered,
        "emergency_contact": repo.emergency_contact(session, user),
        "name": repo.display_name(session, user),
    }
    for name, field in profile_fields().items():
        view[name] = field.read(session, user, now)
    return view


@router.put("/v1/users/{user_id}", response_model=UserView)
def put_user(body: UserUpdate, svc: ServicesDep, _: ProviderDep, user_id: str = UserId) -> dict[str, Any]:
    """Register or update an end user (age or birth date, locale, emergency contact, …)."""
    fields = profile_fields()
    extra = dict(body.model_extra or {})
    unknown = sorted(set(extra) - set(fields))
    if unknown:
        raise InputError(f"unknown user field(s): {', '.join(unknown)}")
    allow = svc.settings.allow_private_webhooks
    check_contact(body.emergency_contact.stored() if body.emergency_contact else None, allow_private=allow)
    if isinstance(extra.get("guardian"), dict):
        check_contact(extra["guardian"], allow_private=allow)
    now = svc.clock.now()
    if body.birth_date is not None and body.birth_date > now.date():
        raise InputError("birth_date is in the future")
    with session_scope(svc.sessions) as session:
        user = repo.ensure_user(session, user_id, now=now, locale=body.locale or "zh-CN")
        sent = body.model_fields_set
        if "birth_date" in sent:
            user.birth_date = body.birth_date
        if "age" in sent:
            user.age = body.age
        if body.locale:
            user.locale = body.locale
        if "emergency_contact" in sent:
            repo.set_emergency_contact(
                session, user, body.emergency_contact.stored() if body.emergency_contact else None
            )
        if "name" in sent:
            repo.set_display_name(session, user, body.name)
        user.registered, user.updated_at = True, now
        session.flush()
        for name, value in extra.items():
            fields[name].apply(session, user, value, now)
        return user_view(session, user, now)


@router.get("/v1/users/{user_id}", response_model=UserView)
def get_user(svc: ServicesDep, _: ProviderDep, user_id: str = UserId) -> dict[str, Any]:
    """What we hold about an end user's profile (no message content)."""
    with session_scope(svc.sessions) as session:
        user = repo.get_user(session, user_id)
        if user is None:
            raise NotFoundError(f"unknown user {user_id!r}")
        return user_view(session, user, svc.clock.now())
