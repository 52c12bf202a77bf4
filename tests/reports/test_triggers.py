"""A1: assessment triggers fire at their thresholds and not before, once each, with an operator notice."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import chat
from tests.reports.conftest import cli_json, low_threshold_pack, role_key, start


def _due(client, key: str) -> dict:
    resp = client.get("/v1/operator/assessment", headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.mark.req("A1")
def test_registered_users_and_mau_fire_at_the_threshold_not_before(tmp_path: Path) -> None:
    pack = low_threshold_pack(tmp_path, registered=3, mau=2)
    for client in start(tmp_path, policy_packs=[str(pack)]):
        op = role_key(client.app, "operator", "op-1")
        for uid in ("a1", "a2"):
            assert client.put(f"/v1/users/{uid}", json={"age": 30}).status_code == 200
        chat(client, "a1", "xiaoyu", "今天天气不错")
        status = _due(client, op)
        assert status["counts"] == {"registered_users": 2, "monthly_active_users": 1}
        assert [d["trigger"] for d in status["due"]] == []  # below both thresholds: nothing fires
        client.post("/v1/sandbox/clock", json={"advance_seconds": 5})
        chat(client, "a2", "xiaoyu", "晚饭吃了饺子")  # the watcher duty counts during the turn: MAU 2 fires
        status = _due(client, op)
        assert [d["trigger"] for d in status["due"]] == ["monthly_active_users"]
        assert (
            status["due"][0]["facts"] == {"value": 2, "threshold": 2}
            and status["due"][0]["event"] == "assessment.due"
        )
        assert client.put("/v1/users/a3", json={"age": 70}).status_code == 200
        status = _due(client, op)
        assert sorted(d["trigger"] for d in status["due"]) == ["monthly_active_users", "registered_users"]
        for uid in ("a4", "a5"):
            client.put(f"/v1/users/{uid}", json={"age": 40})
        client.post("/v1/sandbox/clock", json={"advance_seconds": 5})
        chat(client, "a4", "xiaoyu", "给我讲个笑话吧")
        status = _due(client, op)
        assert len(status["due"]) == 2  # each trigger fires once, however far past its threshold
        notices = [n for n in status["notices"] if n["kind"] == "assessment.due"]
        assert len(notices) == 2 and any("注册用户数达到3" in n["message"]["zh"] for n in notices)
        auditor = role_key(client.app, "auditor", "aud-1")
        audit = client.get(
            "/v1/audit", params={"action": "assessment.due"}, headers={"Authorization": f"Bearer {auditor}"}
        ).json()
        assert sum(1 for e in audit["data"] if e["action"] == "assessment.due") == 2


@pytest.mark.req("A1")
def test_default_thresholds_do_not_fire_for_a_small_service(tmp_path: Path) -> None:
    for client in start(tmp_path):
        op = role_key(client.app, "operator", "op-1")
        for i in range(5):
            client.put(f"/v1/users/u{i}", json={"age": 25})
            chat(client, f"u{i}", "xiaoyu", "早上好呀")
        status = _due(client, op)
        assert status["thresholds"] == {"registered_users": 1_000_000, "monthly_active_users": 100_000}
        assert status["due"] == []


@pytest.mark.req("A1")
def test_launch_feature_and_major_change_fire_once_each(tmp_path: Path) -> None:
    for client in start(tmp_path):
        op = role_key(client.app, "operator", "op-1")
        h = {"Authorization": f"Bearer {op}"}
        first = client.post("/v1/operator/changes", headers=h, json={"kind": "launch", "title": "上线"})
        assert first.status_code == 201 and first.json()["assessment_due"][0]["trigger"].startswith("launch:")
        client.post("/v1/operator/changes", headers=h, json={"kind": "feature", "title": "语音通话"})
        client.post(
            "/v1/operator/changes", headers=h, json={"kind": "major_change", "title": "换用新的大模型"}
        )
        assert (
            client.post("/v1/operator/changes", json={"kind": "launch", "title": "x"}).status_code == 403
        )  # provider
        kinds = sorted(d["kind"] for d in _due(client, op)["due"])
        assert kinds == ["feature", "launch", "major_change"]


@pytest.mark.req("A1", "A3")
def test_a_new_pack_version_is_recorded_by_the_guard_and_fires(tmp_path: Path) -> None:
    home = tmp_path / "home"
    base = low_threshold_pack(tmp_path, registered=1_000_000, mau=100_000)
    for _ in range(2):  # the first start is the baseline; a restart with the same pack records nothing
        for client in start(tmp_path, policy_packs=[str(base)]):  # noqa: B007
            pass
    status = cli_json("assessment", "status", "--json", "--home", str(home), "--no-check")
    assert status["due"] == []
    changed = low_threshold_pack(tmp_path, registered=1_000_000, mau=100_000, extra="。")
    for client in start(tmp_path, policy_packs=[str(changed)]):
        op = role_key(client.app, "operator", "op-1")
        due = _due(client, op)["due"]
        assert [d["kind"] for d in due] == ["policy_pack"]
    draft = cli_json("report", "filing", "--format", "json", "--home", str(home))
    logged = [c["kind"] for c in draft["changes_since_last_filing"]]
    assert (
        logged.count("policy_pack") == 2 and logged.count("detector_model") == 1
    )  # baseline + the new version
