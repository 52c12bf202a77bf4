"""Issue 12, items 10 and 5 (the rest), reproduced through the HTTP API.

Item 10: after one ward's data is deleted the guardian still sees all their wards
(the consent outlives the data, so the list must not 404), and a caller without the
right to read a user's messages is refused (403) before the missing reason is judged.
Item 5: the provider-declared guardian contact, copied in clear into a guardian's
account by consents made before that copy was stopped, does not survive the ward's
deletion.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.rights.conftest import USER, Gateway, turn

from companion_guard.guardians.accounts import contact_of
from companion_guard.rights.aead import is_sealed
from companion_guard.store.tables_guardians import GuardianAccount


def _register_minor(gw: Gateway, uid: str, **extra: Any) -> None:
    resp = gw.client.put(f"/v1/users/{uid}", headers=gw.h("provider"), json={"age": 15, **extra})
    assert resp.status_code == 200, resp.text


def _consent(
    gw: Gateway, uid: str, *, token: str | None = None, guardian: dict[str, Any] | None = None
) -> Any:
    code = gw.client.post(f"/v1/users/{uid}/guardian/invite", headers=gw.h("provider")).json()["code"]
    body: dict[str, Any] = {"code": code, "scope": "full"}
    if guardian is not None:
        body["guardian"] = guardian
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = gw.client.post("/v1/guardian/consent", headers=headers, json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.mark.req("M4", "D4")
def test_deleting_one_wards_data_leaves_the_guardians_other_wards_listed(gw: Gateway) -> None:
    for uid in ("ward-a", "ward-b"):
        _register_minor(gw, uid)
    token = _consent(gw, "ward-a")["token"]
    assert _consent(gw, "ward-b", token=token)["user"] == "ward-b"  # the same guardian adds a second ward
    for uid in ("ward-a", "ward-b"):
        turn(gw, uid, "你好")
    mine = {"Authorization": f"Bearer {token}"}
    assert gw.client.delete("/v1/users/ward-a/data", headers=gw.h("provider")).status_code == 200

    resp = gw.client.get("/v1/guardian/wards", headers=mine)
    assert resp.status_code == 200, resp.text
    wards = {w["user"]: w for w in resp.json()["wards"]}
    assert set(wards) == {"ward-a", "ward-b"}
    assert wards["ward-b"]["stored_data"] is True and wards["ward-b"]["age"] == 15
    # The consent is a record kept through the deletion: the ward stays listed, with no data.
    assert wards["ward-a"]["stored_data"] is False and wards["ward-a"]["age"] is None
    assert wards["ward-a"]["band"] and wards["ward-a"]["consents"]  # as the gateway would serve them now
    for path in ("/v1/guardian/wards/ward-b", "/v1/guardian/wards/ward-b/usage", "/v1/guardian/wards/ward-a"):
        assert gw.client.get(path, headers=mine).status_code == 200, path


@pytest.mark.req("D1")
def test_reading_messages_without_the_right_is_403_whatever_the_reason(gw: Gateway) -> None:
    turn(gw, USER, "hello")
    url = f"/v1/operator/users/{USER}/messages"
    for role in ("provider", "auditor", "guardian", "user"):
        for params in ({}, {"reason": "short"}, {"reason": "a long enough reason to read"}):
            resp = gw.client.get(url, headers=gw.h(role), params=params)
            assert resp.status_code == 403, (role, params, resp.status_code, resp.text)
    assert gw.client.get(url).status_code == 401
    # Only the operator, who may read, is told that the reason is missing or too short.
    for params in ({}, {"reason": "short"}, {"reason": "          x"}):
        resp = gw.client.get(url, headers=gw.h("operator"), params=params)
        assert resp.status_code == 400 and "reason" in resp.text, (params, resp.text)
    resp = gw.client.get(url, headers=gw.h("operator"), params={"reason": "checking a complaint"})
    assert resp.status_code == 200 and resp.json()["data"], resp.text


@pytest.mark.req("D3", "D4", "M2")
def test_a_copied_declared_guardian_contact_dies_with_the_wards_data(gw: Gateway) -> None:
    declared = {
        "name": "妈妈",
        "email": "Mum.Copied@example.org",
        "webhook": "https://hooks.example.org/mum-copied",
    }
    _register_minor(gw, "gk-copy", guardian=declared)
    copied = _consent(gw, "gk-copy")  # no body: the guardian's account starts without a contact
    own = _consent(gw, "gk-copy", guardian={"name": "爸爸", "email": "dad.own@example.org"})
    # A database written before the copy was stopped: the declared contact in clear in the account.
    gw.sql(
        "UPDATE guardian_accounts SET name = ?, email = ?, webhook = ? WHERE id = ?",
        declared["name"],
        declared["email"].lower(),
        declared["webhook"],
        copied["guardian_id"],
    )
    turn(gw, "gk-copy", "你好")

    resp = gw.client.delete("/v1/users/gk-copy/data", headers=gw.h("provider"))
    assert resp.status_code == 200, resp.text
    assert resp.json()["rows_deleted"].get("guardian_contacts_cleared") == 1

    accounts = {r[0]: r[1:] for r in gw.sql("SELECT id, name, email, webhook FROM guardian_accounts")}
    dump = repr(accounts).lower()
    assert "mum.copied" not in dump and "mum-copied" not in dump and "妈妈" not in dump, accounts
    # The guardian's own contact is theirs, not the ward's: it stays (sealed under the guardian's key);
    # so do both accounts and consents.
    assert all(is_sealed(v) for v in accounts[own["guardian_id"]][:2]), accounts
    with gw.services.sessions() as session:
        kept = session.get(GuardianAccount, own["guardian_id"])
        assert kept is not None
        assert contact_of(session, kept) == {"name": "爸爸", "email": "dad.own@example.org"}
    assert copied["guardian_id"] in accounts
    assert (
        len(gw.sql("SELECT id FROM guardian_consents WHERE user_id = 'gk-copy' AND revoked_at IS NULL")) == 2
    )
    wards = gw.client.get("/v1/guardian/wards", headers={"Authorization": f"Bearer {copied['token']}"})
    assert wards.status_code == 200 and [w["user"] for w in wards.json()["wards"]] == ["gk-copy"]
