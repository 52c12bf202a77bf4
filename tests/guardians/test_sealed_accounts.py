"""Guardian accounts' contact details are sealed at rest (D3; issue 16, item 5).

Through the real API, a real SMTP server and a real webhook receiver: the raw row holds
no name, e-mail or webhook in clear, yet the guardian is still notified, signs in to the
guardian page and uses the API; erasing one ward leaves nothing of that ward readable
while the guardian keeps working for the others; rows written in plain text by older
versions are sealed at the next start, once.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import PROVIDER_KEY, chat, make_settings
from tests.guardians.conftest import Inbox, consent, goto_local, guardian_headers
from tests.receivers import WebhookReceiver

from companion_guard.guardians import accounts
from companion_guard.rights.aead import is_sealed
from companion_guard.store import repositories as repo
from companion_guard.store.tables_guardians import GuardianAccount

NAME = "王芳芳-canary"
EMAIL = "Wang.Fang.Canary@example.org"


def _db(home: Path) -> Path:
    return home / "companion-guard.db"


def _raw_accounts(home: Path) -> dict[str, tuple[Any, ...]]:
    conn = sqlite3.connect(_db(home))
    try:
        rows = conn.execute("SELECT id, name, email, webhook, email_digest FROM guardian_accounts").fetchall()
    finally:
        conn.close()
    return {r[0]: r[1:] for r in rows}


def _db_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.glob("companion-guard.db*")))


def _assert_nowhere(home: Path, *secrets: str) -> None:
    blob = _db_bytes(home)
    for secret in secrets:
        for variant in {secret, secret.lower()}:
            for encoding in ("utf-8", "utf-16-le"):
                assert variant.encode(encoding) not in blob, f"{variant!r} in the database in clear"


def _minor(client: TestClient, user: str, **extra: Any) -> None:
    resp = client.put(f"/v1/users/{user}", json={"age": 15, "locale": "zh-CN", **extra})
    assert resp.status_code == 200, resp.text


def _block_and_trip(client: TestClient, user: str, token: str) -> dict[str, Any]:
    """The guardian blocks xiaoyu for the ward, the ward tries it: an M4 alert that notifies."""
    put = client.put(
        f"/v1/guardian/wards/{user}/blocked-personas",
        json={"personas": ["xiaoyu"]},
        headers=guardian_headers(token),
    )
    assert put.status_code == 200, put.text
    return chat(client, user, "xiaoyu", "在吗")


@pytest.mark.req("D3", "M4")
def test_the_row_is_sealed_and_the_guardian_is_still_notified_and_signs_in(
    gclient: TestClient, tmp_path: Path, smtp: tuple[Inbox, int], receiver: WebhookReceiver
) -> None:
    goto_local(gclient, 15)
    home = tmp_path / "home"
    webhook = f"{receiver.url}/guardian-canary-hook"
    _minor(gclient, "sealed-ward")
    answer = consent(gclient, "sealed-ward", contact={"name": NAME, "email": EMAIL, "webhook": webhook})
    token, gid = answer["token"], answer["guardian_id"]

    name, email, hook, digest = _raw_accounts(home)[gid]
    assert is_sealed(name) and is_sealed(email) and is_sealed(hook), (name, email, hook)
    # A keyed hash: not the bare SHA-256 of the address anyone could compute and compare.
    assert re.fullmatch("[0-9a-f]{64}", digest)
    for guess in (EMAIL, EMAIL.lower(), f"{accounts.EMAIL_INDEX}\x00{EMAIL.lower()}"):
        assert digest != hashlib.sha256(guess.encode()).hexdigest()
    _assert_nowhere(home, NAME, EMAIL, "guardian-canary-hook")

    # Found by address (any case) through the digest, and opened with the guardian's key.
    with gclient.app.state.services.sessions() as session:  # type: ignore[attr-defined]
        (found,) = accounts.by_email(session, "  wang.fang.canary@EXAMPLE.org ")
        assert found.id == gid
        assert accounts.contact_of(session, found) == {"name": NAME, "email": EMAIL, "webhook": webhook}
        assert accounts.by_email(session, "someone.else@example.org") == []

    body = _block_and_trip(gclient, "sealed-ward", token)
    notes = [e for e in body["guard"]["events"] if e["kind"] == "notify.guardian"]
    assert {n["data"]["channel"] for n in notes} == {"email", "webhook"}
    inbox, _ = smtp
    ((rcpt, _mail),) = inbox.wait_for(1)
    assert rcpt == [EMAIL]
    (delivered,) = receiver.wait_for(1)
    assert delivered.path == "/guardian-canary-hook" and delivered.json()["event"] == "block.persona"

    # The guardian API and the guardian page, with the guardian's own key.
    wards = gclient.get("/v1/guardian/wards", headers=guardian_headers(token))
    assert wards.status_code == 200 and [w["user"] for w in wards.json()["wards"]] == ["sealed-ward"]
    with TestClient(gclient.app, base_url="https://testserver") as browser:
        form = browser.get("/guardian")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf, form.text[:300]
        page = browser.post("/guardian/signin", data={"csrf": csrf.group(1), "key": token})
        assert page.status_code == 200 and "sealed-ward" in page.text, page.text[:500]
        assert browser.get("/guardian/wards/sealed-ward").status_code == 200


@pytest.mark.req("D3", "D4", "M4")
def test_erasing_one_ward_leaves_nothing_of_them_and_the_guardian_working_for_the_other(
    gclient: TestClient, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    goto_local(gclient, 15)
    home = tmp_path / "home"
    declared = {"name": "外婆-canary", "email": "grandma.canary@example.org"}
    _minor(gclient, "erased-ward", guardian=declared, name="小明-canary")
    _minor(gclient, "kept-ward")
    own = {"name": NAME, "email": EMAIL, "webhook": f"{receiver.url}/both-wards"}
    answer = consent(gclient, "erased-ward", contact=own)
    token, gid = answer["token"], answer["guardian_id"]
    code = gclient.post("/v1/users/kept-ward/guardian/invite").json()["code"]
    second = gclient.post(
        "/v1/guardian/consent", json={"code": code, "scope": "full"}, headers=guardian_headers(token)
    )
    assert second.status_code == 200 and second.json()["guardian_id"] == gid
    chat(gclient, "erased-ward", "mimi", "今天的秘密-canary：我养了一只猫")

    resp = gclient.delete("/v1/users/erased-ward/data")
    assert resp.status_code == 200 and resp.json()["key_destroyed"] is True, resp.text

    # Nothing of the erased ward opens: their key is gone and their declared guardian is nowhere.
    _assert_nowhere(home, "外婆-canary", "grandma.canary", "小明-canary", "今天的秘密-canary")
    conn = sqlite3.connect(_db(home))
    try:
        owners = {r[0] for r in conn.execute("SELECT user_id FROM rights_user_keys")}
    finally:
        conn.close()
    assert "erased-ward" not in owners and accounts.owner(gid) in owners
    # The guardian's own contact is theirs: still sealed, still reached for the other ward.
    assert all(is_sealed(v) for v in _raw_accounts(home)[gid][:3])
    _block_and_trip(gclient, "kept-ward", token)
    (delivered,) = receiver.wait_for(1)
    assert delivered.path == "/both-wards" and delivered.json()["user_id"] == "kept-ward"
    wards = gclient.get("/v1/guardian/wards", headers=guardian_headers(token)).json()["wards"]
    assert {w["user"] for w in wards} == {"erased-ward", "kept-ward"}


def _start(home_parent: Path) -> TestClient:
    from companion_guard.service.app import create_app

    return TestClient(
        create_app(make_settings(home_parent)), headers={"Authorization": f"Bearer {PROVIDER_KEY}"}
    )


@pytest.mark.req("D3")
def test_rows_stored_in_plain_text_are_sealed_at_the_next_start_once(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    home = tmp_path / "home"
    with _start(tmp_path) as client:
        _minor(client, "old-ward", guardian={"name": "旧-canary", "webhook": f"{receiver.url}/declared"})
        gid = consent(client, "old-ward", contact={"email": "x@example.org"})["guardian_id"]
    # What a version before sealing left behind: the account and the declared contact in clear.
    conn = sqlite3.connect(_db(home))
    try:
        conn.execute(
            "UPDATE guardian_accounts SET name = ?, email = ?, webhook = ?, email_digest = NULL WHERE id = ?",
            (NAME, EMAIL, f"{receiver.url}/plain-account", gid),
        )
        conn.execute(
            "UPDATE guardian_profiles SET guardian_contact = ? WHERE user_id = 'old-ward'",
            (json.dumps({"name": "旧-canary", "webhook": f"{receiver.url}/declared"}, ensure_ascii=False),),
        )
        conn.commit()
    finally:
        conn.close()

    with _start(tmp_path) as client:
        sealed = _raw_accounts(home)[gid]
        assert all(is_sealed(v) for v in sealed[:3]) and sealed[3], sealed
        _assert_nowhere(home, NAME, EMAIL, "plain-account", "旧-canary")
        with client.app.state.services.sessions() as session:  # type: ignore[attr-defined]
            account = session.get(GuardianAccount, gid)
            assert account is not None
            assert accounts.contact_of(session, account)["webhook"].endswith("/plain-account")
            assert [a.id for a in accounts.by_email(session, EMAIL)] == [gid]
            assert accounts.seal_plain_accounts(session) == 0 and accounts.seal_plain_declared(session) == 0
        profile = client.get("/v1/users/old-ward").json()
        assert profile["guardian"]["name"] == "旧-canary"  # the declared contact opens too
        # Both contacts are still reached: the crisis of a minor tells every guardian.
        chat(client, "old-ward", "mimi", "我今晚就吃掉攒的所有安眠药 不想活了")
        paths = {r.path for r in receiver.wait_for(2)}
        assert {"/plain-account", "/declared"} <= paths, paths

    with _start(tmp_path):
        assert _raw_accounts(home)[gid] == sealed  # the second start changes nothing


@pytest.mark.req("D3")
def test_long_contact_details_fit_once_sealed(db_client: TestClient) -> None:
    """Sealing makes a value about 4/3 longer: the widened columns take the longest contact (PostgreSQL too)."""
    local = "a" * 64
    email = f"{local}@{'b' * 60}.{'c' * 60}.example.org"
    webhook = "https://hooks.example.org/" + "p" * 1900
    name = "长" * 100
    assert db_client.put("/v1/users/long-ward", json={"age": 15}).status_code == 200
    code = db_client.post("/v1/users/long-ward/guardian/invite").json()["code"]
    answer = db_client.post(
        "/v1/guardian/consent",
        json={"code": code, "guardian": {"name": name, "email": email, "webhook": webhook}},
        headers={"Authorization": ""},
    )
    assert answer.status_code == 200, answer.text
    with db_client.app.state.services.sessions() as session:  # type: ignore[attr-defined]
        account = session.get(GuardianAccount, answer.json()["guardian_id"])
        assert account is not None and len(account.webhook or "") > 2000
        assert accounts.contact_of(session, account) == {"name": name, "email": email, "webhook": webhook}
        assert repo.codec_for(session).digest(session, accounts.EMAIL_INDEX, email) == account.email_digest
