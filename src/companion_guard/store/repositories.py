"""Reads and writes per aggregate. Functions take a session and never commit."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from companion_guard.store.fastsql import FastStatement
from companion_guard.store.preload import get_row
from companion_guard.store.tables import (
    ChatMessage,
    OutboxMessage,
    Persona,
    PersonaRelationship,
    ReviewCase,
    Turn,
    UsageClock,
    User,
    table_of,
)

_MESSAGES = table_of(ChatMessage)
# Hot-path statements are built once: building one costs more than running it on SQLite.
_INSERT_MESSAGES = _MESSAGES.insert()
_RECENT = (
    select(_MESSAGES.c.role, _MESSAGES.c.content)
    .where(_MESSAGES.c.user_id == bindparam("user_id"))
    .order_by(_MESSAGES.c.created_at.desc(), _MESSAGES.c.id.desc())
    .limit(bindparam("limit"))
)


class FieldCodec:
    """Encodes sensitive text for storage: identity here; the rights layer's codec encrypts.

    A codec belongs to one gateway's sessions (:func:`install_codec`), not to the process:
    two gateways in one process each seal with their own keys.
    """

    #: True for a codec that encrypts; a :class:`~companion_guard.pipeline.Guard` refuses sessions without one.
    encrypts: bool = False

    def seal(self, session: Session, user_id: str, plaintext: str) -> str:
        """Return what to store for ``plaintext``."""
        return plaintext

    def open(self, session: Session, user_id: str, stored: str) -> str:
        """Return the plaintext for a stored value."""
        return stored

    def digest(self, session: Session, index: str, value: str) -> str:
        """A stable hash of ``value`` to find rows by without opening them (keyed when encrypting)."""
        return hashlib.sha256(f"{index}\x00{value}".encode()).hexdigest()


#: What sessions without an installed codec use: offline tools over a test database.
PLAIN_CODEC = FieldCodec()
_CODEC_KEY = "companion_guard.codec"


def install_codec(sessions: sessionmaker[Session], codec: FieldCodec) -> None:
    """Make every session ``sessions`` opens from now on seal and open with ``codec``."""
    info = dict(sessions.kw.get("info") or {})
    info[_CODEC_KEY] = codec
    sessions.configure(info=info)


def codec_of(sessions: sessionmaker[Session]) -> FieldCodec:
    """The codec the sessions of ``sessions`` use."""
    codec = (sessions.kw.get("info") or {}).get(_CODEC_KEY, PLAIN_CODEC)
    return codec if isinstance(codec, FieldCodec) else PLAIN_CODEC


def codec_for(session: Session) -> FieldCodec:
    """The codec that seals and opens sensitive fields read or written through ``session``."""
    codec = session.info.get(_CODEC_KEY, PLAIN_CODEC)
    return codec if isinstance(codec, FieldCodec) else PLAIN_CODEC


# ---- users -------------------------------------------------------------------------


def get_user(session: Session, user_id: str) -> User | None:
    """The user row, or ``None`` if never seen."""
    return get_row(session, User, user_id)


def ensure_user(session: Session, user_id: str, *, now: datetime, locale: str) -> User:
    """Return the user, creating an unregistered row on first sight."""
    user: User | None = get_row(session, User, user_id)
    if user is None:
        user = User(id=user_id, locale=locale, registered=False, created_at=now, updated_at=now)
        session.add(user)
        session.flush()
    return user


def emergency_contact(session: Session, user: User) -> dict[str, Any] | None:
    """The user's decoded emergency contact."""
    if not user.emergency_contact:
        return None
    contact: dict[str, Any] = json.loads(codec_for(session).open(session, user.id, user.emergency_contact))
    return contact


def set_emergency_contact(session: Session, user: User, contact: dict[str, Any] | None) -> None:
    """Store the emergency contact (sealed by the codec)."""
    user.emergency_contact = (
        None
        if contact is None
        else codec_for(session).seal(session, user.id, json.dumps(contact, ensure_ascii=False))
    )


def display_name(session: Session, user: User) -> str | None:
    """The name the user registered, decoded."""
    return codec_for(session).open(session, user.id, user.display_name) if user.display_name else None


def set_display_name(session: Session, user: User, name: str | None) -> None:
    """Store the user's name (sealed by the codec)."""
    user.display_name = None if not name else codec_for(session).seal(session, user.id, name)


def user_age_on(user: User, today: date) -> int | None:
    """A user row's age in whole years on ``today``: from the birth date, else the declared age."""
    if user.birth_date is not None:
        b = user.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))
    return user.age


# ---- personas ----------------------------------------------------------------------


def get_persona(session: Session, persona_id: str) -> Persona | None:
    """The persona row, or ``None``."""
    return session.get(Persona, persona_id)


def list_personas(session: Session) -> list[Persona]:
    """All personas by id."""
    return list(session.scalars(select(Persona).order_by(Persona.id)))


# ---- turns and messages ------------------------------------------------------------

_TURNS = table_of(Turn)
_FAST_INSERT_TURN = FastStatement(_TURNS.insert(), tuple(c.key for c in _TURNS.columns))
#: What finishing a turn sets.
FINISH_KEYS = ("status", "completed_at", "action", "output_signals", "rules", "events")
_FAST_FINISH_TURN = FastStatement(update(_TURNS).where(_TURNS.c.id == bindparam("turn_id")), FINISH_KEYS)


def insert_turn(session: Session, values: dict[str, Any]) -> None:
    """Insert a turn given every column (one statement on the DBAPI cursor, no ORM unit of work)."""
    _FAST_INSERT_TURN.execute(session, values)


def finish_turn(session: Session, turn_id: str, values: dict[str, Any]) -> bool:
    """Set :data:`FINISH_KEYS` of a turn; False when the turn is gone (deleted meanwhile)."""
    return _FAST_FINISH_TURN.execute(session, {"turn_id": turn_id, **values}) > 0


def message_row(
    session: Session, turn: Any, *, role: str, content: str, now: datetime, original: str | None = None
) -> dict[str, Any]:
    """The columns of one message of a turn, sealed by the codec (for :func:`insert_messages`)."""
    return {
        "turn_id": turn.id,
        "user_id": turn.user_id,
        "persona_id": turn.persona_id,
        "role": role,
        "content": codec_for(session).seal(session, turn.user_id, content),
        "original_content": None
        if original is None
        else codec_for(session).seal(session, turn.user_id, original),
        "created_at": now,
    }


#: The hot path's message statements, run on the DBAPI cursor (:mod:`companion_guard.store.fastsql`).
_FAST_INSERT_MESSAGES = FastStatement(
    _INSERT_MESSAGES,
    ("turn_id", "user_id", "persona_id", "role", "content", "original_content", "created_at"),
)
_FAST_RECENT = FastStatement(_RECENT)


def insert_messages(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert messages made by :func:`message_row` in one statement (no ORM unit of work)."""
    _FAST_INSERT_MESSAGES.executemany(session, rows)


def add_message(
    session: Session, turn: Any, *, role: str, content: str, now: datetime, original: str | None = None
) -> None:
    """Store one message of a turn, sealed by the codec."""
    insert_messages(
        session, [message_row(session, turn, role=role, content=content, now=now, original=original)]
    )


def stored_signals(session: Session, user_id: str, signals: list[Any]) -> list[dict[str, Any]]:
    """Signals as stored with a turn: evidence quotes the user's words, so its text is sealed too."""
    out = []
    for signal in signals:
        data = signal.to_dict()
        for ev in data.get("evidence", []):
            if ev.get("text"):
                ev["text"] = codec_for(session).seal(session, user_id, ev["text"])
        out.append(data)
    return out


def message_text(session: Session, msg: ChatMessage) -> str:
    """The plaintext of a stored message."""
    return codec_for(session).open(session, msg.user_id, msg.content)


def recent_texts(session: Session, user_id: str, limit: int) -> list[tuple[str, str]]:
    """``(role, plaintext)`` of the user's last ``limit`` messages, oldest first (one Core read)."""
    if limit <= 0:
        return []
    rows = _FAST_RECENT.all(session, {"user_id": user_id, "limit": limit})
    return [(role, codec_for(session).open(session, user_id, content)) for role, content in reversed(rows)]


def recent_messages(session: Session, user_id: str, limit: int) -> list[ChatMessage]:
    """The user's last ``limit`` messages, oldest first."""
    if limit <= 0:
        return []
    rows = session.scalars(
        select(ChatMessage)
        .where(ChatMessage.user_id == user_id)
        .order_by(ChatMessage.created_at.desc(), ChatMessage.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


# ---- usage and relationships ---------------------------------------------------------


def usage_clock(session: Session, user_id: str) -> UsageClock | None:
    """The continuous-use clock of a user."""
    return get_row(session, UsageClock, user_id)


_CLOCKS = table_of(UsageClock)
_TOUCH_CLOCK = _CLOCKS.update().where(_CLOCKS.c.user_id == bindparam("uid"))
_FAST_TOUCH_CLOCK = FastStatement(_TOUCH_CLOCK, ("last_seen_at",))
_FAST_RESTART_CLOCK = FastStatement(_TOUCH_CLOCK, ("last_seen_at", "session_started_at", "marks_reminded"))


def touch_usage_clock(session: Session, clock: UsageClock, *, now: datetime, restart: bool) -> None:
    """Note use at ``now`` (restarting continuous use after a gap) with one Core update.

    The loaded row is kept in step without becoming dirty, so no ORM flush follows.
    """
    values: dict[str, Any] = {"last_seen_at": now}
    if restart:
        values |= {"session_started_at": now, "marks_reminded": 0}
    (_FAST_RESTART_CLOCK if restart else _FAST_TOUCH_CLOCK).execute(session, {"uid": clock.user_id, **values})
    for key, value in values.items():
        set_committed_value(clock, key, value)


def relationship(session: Session, user_id: str, persona_id: str) -> PersonaRelationship | None:
    """When this user's relationship with this persona began, if it has."""
    return get_row(session, PersonaRelationship, (user_id, persona_id))


# ---- review queue and outbox ---------------------------------------------------------


def open_case(
    session: Session,
    *,
    user_id: str,
    turn_id: str | None,
    queue: str,
    category: str,
    level: str,
    requirement: str,
    now: datetime,
) -> ReviewCase:
    """Open a case in a human review queue."""
    case = ReviewCase(
        user_id=user_id,
        turn_id=turn_id,
        queue=queue,
        category=category,
        level=level,
        requirement=requirement,
        status="open",
        created_at=now,
        notified=[],
        log=[],
    )
    session.add(case)
    session.flush()  # its id goes into the notification the contact receives
    return case


def enqueue(session: Session, message: OutboxMessage) -> bool:
    """Add a notification unless one with the same dedupe key exists; True if added.

    The target (an address) is sealed by the codec and the dedupe key, which may
    name the address, is stored as its SHA-256.
    """
    message.dedupe_key = hashlib.sha256(message.dedupe_key.encode("utf-8")).hexdigest()
    exists = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == message.dedupe_key))
    if exists is not None:
        return False
    message.target = codec_for(session).seal(session, message.user_id, message.target)
    session.add(message)
    return True
