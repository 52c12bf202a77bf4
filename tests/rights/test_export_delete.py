"""D4: export (JSON and a ZIP a person can read), delete by crypto-shredding, per conversation."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from tests.rights.conftest import USER, Gateway, db_bytes, turn


def _export(gw: Gateway, role: str = "user", **params: str) -> dict:
    r = gw.client.get(f"/v1/users/{USER}/export", headers=gw.h(role), params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.req("D4")
def test_export_then_delete_then_export_again(gw: Gateway) -> None:
    gw.client.put(
        f"/v1/users/{USER}",
        headers=gw.h("provider"),
        json={
            "age": 25,
            "locale": "en-US",
            "emergency_contact": {"name": "Mum", "phone": "5550101", "email": "mum@example.org"},
        },
    )
    turn(gw, USER, "hello there, remember the red kite")
    turn(gw, USER, "the second message about the lake", persona="laoshi")
    r = gw.client.post(
        f"/v1/users/{USER}/consents", headers=gw.h("user"), json={"recipient": "partner.example"}
    )
    assert r.status_code == 201
    r = gw.client.post(
        "/v1/complaints",
        headers=gw.h("user"),
        json={"kind": "complaint", "subject": "too many reminders", "body": "please fewer"},
    )
    assert r.status_code == 201

    data = _export(gw)
    texts = [m["content"] for m in data["messages"]]
    assert "hello there, remember the red kite" in texts and "the second message about the lake" in texts
    assert data["profile"]["emergency_contact"] == {
        "name": "Mum",
        "phone": "5550101",
        "email": "mum@example.org",
    }
    assert {p["id"] for p in data["personas"]} == {"mimi", "laoshi"}
    assert any(e["kind"] == "reminder.ai_disclosure" for e in data["events"])
    assert data["reminders"] and all(e["kind"].startswith("reminder.") for e in data["reminders"])
    assert data["consents"][0]["recipient"] == "partner.example"
    assert data["complaints"][0]["subject"] == "too many reminders"
    assert data["unreadable_values"] == 0

    z = gw.client.get(f"/v1/users/{USER}/export", headers=gw.h("user"), params={"format": "zip"})
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        assert set(zf.namelist()) == {"README.txt", "conversation.txt", "export.json"}
        readme = zf.read("README.txt").decode()
        assert "数据导出" in readme and "Data export" in readme and "4 messages" in readme
        assert "red kite" in zf.read("conversation.txt").decode()
        assert json.loads(zf.read("export.json"))["user_id"] == USER

    wrapped = gw.sql("SELECT wrapped FROM rights_user_keys WHERE user_id = ?", USER)[0][0]
    r = gw.client.delete(f"/v1/users/{USER}/data", headers=gw.h("user"))
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["key_destroyed"] is True and receipt["rows_deleted"]["messages"] == 4
    assert "red kite" not in r.text  # content-free receipt

    again = _export(gw, role="provider")
    assert again["messages"] == [] and again["profile"] is None and again["turns"] == []
    assert again["consents"] == []
    # the complaint record stays for response-time reporting, but its text is shredded
    assert again["complaints"][0]["subject"] is None and again["complaints"][0]["status"] == "open"
    # no copy of the wrapped key anywhere in the database files (secure_delete + WAL checkpoint)
    assert gw.sql("SELECT count(*) FROM rights_user_keys WHERE user_id = ?", USER) == [(0,)]
    assert wrapped not in db_bytes(gw.db_path.parent)
    receipts = gw.sql("SELECT scope, key_destroyed FROM rights_deletion_receipts WHERE user_id = ?", USER)
    assert receipts == [("user", 1)]


@pytest.mark.req("D4")
def test_delete_one_conversation_rekeys_the_rest(gw: Gateway) -> None:
    turn(gw, USER, "keep this one about apples", persona="mimi")
    turn(gw, USER, "forget this one about pears", persona="laoshi")
    old_wrapped = gw.sql("SELECT wrapped FROM rights_user_keys WHERE user_id = ?", USER)[0][0]
    old_cipher = gw.sql("SELECT content FROM messages WHERE persona_id = 'laoshi' AND role = 'user'")[0][0]

    r = gw.client.delete(f"/v1/users/{USER}/conversations/laoshi", headers=gw.h("provider"))
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "conversation" and r.json()["rows_deleted"]["messages"] == 2

    data = _export(gw)
    assert {m["persona_id"] for m in data["messages"]} == {"mimi"}
    assert "keep this one about apples" in [m["content"] for m in data["messages"]]
    assert data["unreadable_values"] == 0
    new_wrapped = gw.sql("SELECT wrapped FROM rights_user_keys WHERE user_id = ?", USER)[0][0]
    assert new_wrapped != old_wrapped
    assert old_cipher.encode() not in db_bytes(gw.db_path.parent)


@pytest.mark.req("D3")
def test_sealed_values_are_bound_to_their_user(gw: Gateway) -> None:
    from companion_guard.rights.aead import DecryptionError
    from companion_guard.rights.setup import rights_of
    from companion_guard.store.db import session_scope

    turn(gw, USER, "only mine")
    turn(gw, "u-bob", "bob's words")
    cipher = gw.sql(f"SELECT content FROM messages WHERE user_id = '{USER}' AND role = 'user'")[0][0]
    keys = rights_of(gw.services).data_keys
    with session_scope(gw.services.sessions) as session:
        assert keys.open(session, USER, cipher) == "only mine"
        with pytest.raises(DecryptionError):
            keys.open(session, "u-bob", cipher)
