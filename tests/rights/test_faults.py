"""Faults found by probing the running gateway (issue 12), reproduced through the HTTP API.

Item 1: a rolled-back turn must not break other users' turns (the controls cache holds
plain values). Item 2: deleting one conversation re-keys every sealed column, so crisis
handling, the profile and the remaining turns' evidence still open afterwards. Item 5
(part): a consenting guardian's account does not copy the provider-declared contact.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import select, text
from tests.rights.conftest import Gateway

from companion_guard.rights.aead import is_sealed
from companion_guard.rights.datamap import SEALED_COLUMNS, user_tables

CRISIS = "我今晚就吃掉攒的所有安眠药 不想活了"


def _turn(gw: Gateway, user: str, text_: str, persona: str = "xiaoyu") -> Any:
    return gw.client.post(
        "/v1/chat/completions",
        headers=gw.h("provider"),
        json={"model": persona, "user": user, "messages": [{"role": "user", "content": text_}]},
    )


@pytest.mark.req("D5", "I2")
def test_rolled_back_turn_does_not_break_other_turns(gw: Gateway) -> None:
    resp = gw.client.post(
        "/v1/operator/notices",
        headers=gw.h("operator"),
        json={"scope": "persona", "persona_id": "mimi", "ends_at": "2099-01-01T00:00:00Z"},
    )
    assert resp.status_code == 201, resp.text
    assert gw.client.put("/v1/users/kid", headers=gw.h("provider"), json={"age": 10}).status_code == 200
    time.sleep(1.2)  # the controls snapshot is re-read by the next turn
    kid = _turn(gw, "kid", "你好")  # under 14 without consent: the gate rolls the turn back (M2)
    assert kid.status_code == 200, kid.text
    crisis = _turn(gw, "adult-1", CRISIS)
    assert crisis.status_code == 200, crisis.text
    assert any(e["kind"] == "intervention.crisis" for e in crisis.json()["guard"]["events"])
    statuses: list[int] = []
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:
        statuses.append(_turn(gw, "adult-2", "今天天气不错").status_code)
    assert statuses and set(statuses) == {200}, f"{statuses.count(500)} of {len(statuses)} answered 500"


def _sealed_columns_found(gw: Gateway, user: str) -> dict[tuple[str, str], int]:
    """Every (table, column) holding a sealed value of ``user`` (also inside JSON), with a count."""
    found: dict[tuple[str, str], int] = {}
    with gw.services.engine.connect() as conn:
        for ut in user_tables():
            for row in conn.execute(select(ut.table).where(ut.key == user)).mappings():
                for col, val in row.items():
                    n = _count_sealed(val)
                    if n:
                        found[(ut.name, col)] = found.get((ut.name, col), 0) + n
    return found


def _count_sealed(value: Any) -> int:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if isinstance(value, dict):
        return sum(_count_sealed(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_sealed(v) for v in value)
    return int(is_sealed(value))


@pytest.mark.req("D4", "D3", "I2")
def test_deleting_a_conversation_rekeys_every_sealed_column(gw: Gateway) -> None:
    uid = "gk2"
    # A webhook too: without an SMTP server an e-mail-only contact is (rightly) not queued.
    body = {
        "age": 15,
        "guardian": {"name": "妈妈", "email": "m@example.org", "webhook": "http://127.0.0.1:9/m"},
        "emergency_contact": {
            "name": "姐姐",
            "email": "sister@example.org",
            "webhook": "http://127.0.0.1:9/s",
        },
    }
    assert gw.client.put(f"/v1/users/{uid}", headers=gw.h("provider"), json=body).status_code == 200
    code = gw.client.post(f"/v1/users/{uid}/guardian/invite", headers=gw.h("provider")).json()["code"]
    assert gw.client.post("/v1/guardian/consent", json={"code": code}).status_code == 200
    assert _turn(gw, uid, "你好呀", "xiaoyu").status_code == 200
    assert _turn(gw, uid, CRISIS, "sam").status_code == 200  # signals with sealed evidence, outbox rows
    filed = gw.client.post(
        "/v1/complaints",
        headers=gw.h("provider"),
        json={
            "kind": "complaint",
            "user_id": uid,
            "subject": "canary-subject",
            "body": "canary-body",
            "contact": "canary@example.org",
        },
    )
    assert filed.status_code == 201, filed.text
    found = _sealed_columns_found(gw, uid)
    # Every sealed column the gateway wrote is on the one list ...
    assert set(found) <= SEALED_COLUMNS, set(found) - SEALED_COLUMNS
    # ... and every listed column holds a canary in a row that survives the deletion.
    _plant_canaries(gw, uid, skip=set(found))
    assert set(_sealed_columns_found(gw, uid)) == SEALED_COLUMNS

    resp = gw.client.delete(f"/v1/users/{uid}/conversations/xiaoyu", headers=gw.h("provider"))
    assert resp.status_code == 200, resp.text

    after = _turn(gw, uid, CRISIS, "sam")
    assert after.status_code == 200, after.text
    assert any(e["kind"] == "intervention.crisis" for e in after.json()["guard"]["events"])
    profile = gw.client.get(f"/v1/users/{uid}", headers=gw.h("provider"))
    assert profile.status_code == 200, profile.text
    assert profile.json()["guardian"]["email"] == "m@example.org"
    export = gw.client.get(f"/v1/users/{uid}/export", headers=gw.h("provider"), params={"format": "json"})
    assert export.status_code == 200, export.text
    # Every sealed value left opens with the user's new key.
    keys = gw.services.rights.data_keys
    with gw.services.sessions() as session:
        for ut in user_tables():
            for col in ut.sealed_columns:
                for (val,) in session.execute(select(col).where(ut.key == uid)):
                    for token in _tokens(val):
                        keys.open(session, uid, token, ut.purpose)


def _plant_canaries(gw: Gateway, uid: str, skip: set[tuple[str, str]]) -> None:
    """Seal a canary into each listed column the scenario left empty (rows outside the deleted chat)."""
    keys = gw.services.rights.data_keys
    with gw.services.sessions() as session:
        for ut in user_tables():
            for col in ut.sealed_columns:
                if (ut.name, col.name) in skip:
                    continue
                token = keys.seal(session, uid, f"canary {ut.name}.{col.name}", ut.purpose)
                value: Any = [{"evidence": [{"text": token}]}] if ut.name == "turns" else token
                where = [ut.key == uid]
                if "persona_id" in ut.table.c:
                    where.append(ut.table.c.persona_id != "xiaoyu")
                pk = list(ut.table.primary_key.columns)
                first = session.execute(select(*pk).where(*where).limit(1)).first()
                assert first is not None, f"no row of {uid} in {ut.name} to plant a canary in"
                session.execute(
                    ut.table.update()
                    .where(*(c == first[i] for i, c in enumerate(pk)))
                    .values({col.name: value})
                )
        session.commit()


def _tokens(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tokens(v)]
    if isinstance(value, list):
        return [t for v in value for t in _tokens(v)]
    return [value] if is_sealed(value) else []


@pytest.mark.req("D3", "M2")
def test_consent_without_body_does_not_copy_the_declared_contact(gw: Gateway) -> None:
    uid = "gk3"
    body = {"age": 15, "guardian": {"name": "妈妈", "email": "mum@example.org"}}
    assert gw.client.put(f"/v1/users/{uid}", headers=gw.h("provider"), json=body).status_code == 200
    code = gw.client.post(f"/v1/users/{uid}/guardian/invite", headers=gw.h("provider")).json()["code"]
    assert gw.client.post("/v1/guardian/consent", json={"code": code}).status_code == 200
    rows = gw.sql("SELECT email, webhook, name FROM guardian_accounts")
    assert all("mum@example.org" not in str(r) for r in rows), rows
    assert gw.client.delete(f"/v1/users/{uid}/data", headers=gw.h("provider")).status_code == 200
    with gw.services.engine.connect() as conn:
        dump = "\n".join(
            str(r)
            for t in ("guardian_accounts", "guardian_consents", "outbox")
            for r in conn.execute(text(f"SELECT * FROM {t}"))
        )  # noqa: S608 - fixed names
    assert "mum@example.org" not in dump
