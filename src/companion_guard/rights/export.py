"""Export (D4): everything stored about one user, as JSON and as a ZIP a person can read.

The export opens every sealed value with the user's key; what it cannot open
(shredded, or sealed for someone else) is shown as ``null`` with a note. Reads of
content are audited by the route that calls this.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from companion_guard.rights import audit, complaints, consents
from companion_guard.rights.aead import DecryptionError, is_sealed
from companion_guard.rights.data_keys import DataKeys, KeyDestroyed
from companion_guard.rights.datamap import HIDDEN_COLUMNS, UserTable, user_tables
from companion_guard.rights.timefmt import iso
from companion_guard.store.tables_rights import Complaint, Consent

FORMAT = "companion-guard.export/1"
#: Tables whose rows have their own section (or none) instead of the generic one.
_OWN_SECTIONS = frozenset({"users", "messages", "rights_complaints", "rights_consents"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


class _Opener:
    """Opens a user's sealed values, counting those that no longer open."""

    def __init__(self, session: Session, keys: DataKeys, user_id: str) -> None:
        self.session, self.keys, self.user_id = session, keys, user_id
        self.unreadable = 0

    def __call__(self, value: Any, purpose: str = "field") -> Any:
        if isinstance(value, dict):
            return {k: self(v, purpose) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, purpose) for v in value]
        if not is_sealed(value):
            return _plain(value)
        try:
            text = self.keys.open(self.session, self.user_id, value, purpose)
        except (KeyDestroyed, DecryptionError):
            self.unreadable += 1
            return None
        return text


def _rows(session: Session, ut: UserTable, user_id: str, opener: _Opener) -> list[dict[str, Any]]:
    out = []
    for row in session.execute(select(ut.table).where(ut.key == user_id)).mappings():
        out.append(
            {col: opener(val, ut.purpose) for col, val in row.items() if (ut.name, col) not in HIDDEN_COLUMNS}
        )
    return out


def _json_or_text(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def build(session: Session, keys: DataKeys, user_id: str, *, at: datetime) -> dict[str, Any]:
    """Everything about ``user_id``: profile, messages, personas, events, reminders, consents,
    complaints, restrictions, access log, and every other per-user table."""
    opener = _Opener(session, keys, user_id)
    tables = {ut.name: ut for ut in user_tables() if ut.mode != "retain"}
    profile_rows = _rows(session, tables["users"], user_id, opener) if "users" in tables else []
    profile = profile_rows[0] if profile_rows else None
    if profile and profile.get("emergency_contact"):
        profile["emergency_contact"] = _json_or_text(profile["emergency_contact"])
    messages = _rows(session, tables["messages"], user_id, opener) if "messages" in tables else []
    messages.sort(key=lambda m: (m.get("created_at") or "", m.get("id") or 0))
    turns = _rows(session, tables["turns"], user_id, opener) if "turns" in tables else []
    events = [
        {"turn_id": t["id"], "at": t.get("created_at"), **e} for t in turns for e in (t.get("events") or [])
    ]
    persona_ids = sorted({m["persona_id"] for m in messages if m.get("persona_id")})
    personas = _personas(session, persona_ids)
    other = {
        name: _rows(session, ut, user_id, opener)
        for name, ut in tables.items()
        if name not in _OWN_SECTIONS and name != "turns"
    }
    complaint_rows = session.scalars(
        select(Complaint).where(Complaint.user_id == user_id).order_by(Complaint.created_at)
    )
    return {
        "format": FORMAT,
        "user_id": user_id,
        "generated_at": iso(at),
        "profile": profile,
        "messages": messages,
        "personas": personas,
        "turns": turns,
        "events": events,
        "reminders": [e for e in events if str(e.get("kind", "")).startswith("reminder.")],
        "consents": [
            consents.consent_dict(c)
            for c in session.scalars(
                select(Consent).where(Consent.user_id == user_id).order_by(Consent.granted_at)
            )
        ],
        "complaints": [complaints.complaint_dict(session, keys, c) for c in complaint_rows],
        "access_log": [
            audit.entry_dict(e) for e in audit.entries(session, subject_user=user_id, limit=10_000)
        ],
        "other": {k: v for k, v in other.items() if v},
        "unreadable_values": opener.unreadable,
    }


def _personas(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    from companion_guard.store.tables import Persona

    return [
        {"id": p.id, "display_name": p.display_name, "relationship": p.relationship}
        for p in session.scalars(select(Persona).where(Persona.id.in_(ids)).order_by(Persona.id))
    ]


def is_empty(data: dict[str, Any]) -> bool:
    """True when the export holds nothing about the user."""
    return not any(data.get(k) for k in ("profile", "messages", "turns", "consents", "complaints", "other"))


README = """companion-guard 数据导出 / Data export
=======================================

用户 / User: {user_id}
生成时间 / Generated: {generated_at}

中文说明
--------
本压缩包包含我们为您保存的全部数据的副本（依据《人工智能拟人化互动服务管理暂行办法》，
您有权复制和删除您的交互数据）：

- conversation.txt  您与各角色的对话记录，按时间排列，便于阅读；
- export.json       全部数据的机器可读版本（个人资料、消息、角色、事件与提醒、同意记录、
                    投诉与申诉、访问记录等），可导入其他服务；
- README.txt        本说明。

共 {n_messages} 条消息、{n_personas} 个角色、{n_events} 个事件（其中提醒 {n_reminders} 个）、
{n_consents} 条同意记录、{n_complaints} 条投诉/申诉、{n_access} 条数据访问记录。
如需删除全部数据，可随时发送 DELETE /v1/users/<用户>/data；如需注销账号，发送
POST /v1/users/<用户>/quit。两者均一步完成。

English
-------
This archive holds a copy of everything we store about you (under the Interim
Measures you may copy and delete your interaction data):

- conversation.txt  your conversations with each character, oldest first, for reading;
- export.json       all of it in machine-readable form (profile, messages, characters,
                    events and reminders, consents, complaints and appeals, access log),
                    ready to import elsewhere;
- README.txt        this note.

{n_messages} messages, {n_personas} characters, {n_events} events ({n_reminders} reminders),
{n_consents} consents, {n_complaints} complaints or appeals, {n_access} recorded accesses.
To delete everything, send DELETE /v1/users/<user>/data; to close the account,
POST /v1/users/<user>/quit. Each is one step.
"""


def transcript(data: dict[str, Any]) -> str:
    """The conversations as plain text, one block per persona."""
    names = {p["id"]: p["display_name"] for p in data.get("personas", [])}
    lines: list[str] = []
    current = None
    for m in data.get("messages", []):
        if m.get("persona_id") != current:
            current = m.get("persona_id")
            lines += ["", f"=== {names.get(current, current)} ({current}) ===", ""]
        who = {"user": "我 / me", "assistant": names.get(current, "AI")}.get(m.get("role"), m.get("role"))
        lines.append(
            f"[{m.get('created_at')}] {who}: {m.get('content') if m.get('content') is not None else '(unreadable)'}"
        )
    return "\n".join(lines).lstrip() + "\n"


def to_zip(data: dict[str, Any]) -> bytes:
    """The export as a ZIP: README.txt, conversation.txt, export.json."""
    buf = io.BytesIO()
    readme = README.format(
        user_id=data["user_id"],
        generated_at=data["generated_at"],
        n_messages=len(data["messages"]),
        n_personas=len(data["personas"]),
        n_events=len(data["events"]),
        n_reminders=len(data["reminders"]),
        n_consents=len(data["consents"]),
        n_complaints=len(data["complaints"]),
        n_access=len(data["access_log"]),
    )
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt", readme)
        zf.writestr("conversation.txt", transcript(data))
        zf.writestr("export.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
    return buf.getvalue()
