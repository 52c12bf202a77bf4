"""D1: the audit log is append-only and hash-chained; `companion-guard audit verify` finds tampering."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from tests.rights.conftest import USER, Gateway, turn
from typer.testing import CliRunner


def _verify(gw: Gateway) -> tuple[int, dict]:
    from companion_guard.cli import build_app

    result = CliRunner().invoke(build_app(), ["audit", "verify", "--home", str(gw.settings.home), "--json"])
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def _fill(gw: Gateway) -> None:
    turn(gw, USER, "hello")
    r = gw.client.get(
        f"/v1/operator/users/{USER}/messages",
        headers=gw.h("operator"),
        params={"reason": "reviewing a report about this user"},
    )
    assert r.status_code == 200
    assert (
        gw.client.post(
            f"/v1/operator/users/{USER}/suspend", headers=gw.h("operator"), json={"reason": "spam"}
        ).status_code
        == 201
    )
    assert (
        gw.client.post(
            f"/v1/users/{USER}/consents", headers=gw.h("user"), json={"recipient": "x.example"}
        ).status_code
        == 201
    )
    assert gw.client.delete(f"/v1/users/{USER}/data", headers=gw.h("user")).status_code == 200


@pytest.mark.req("D1")
def test_operator_actions_reads_consents_and_deletions_are_logged(gw: Gateway) -> None:
    _fill(gw)
    r = gw.client.get("/v1/audit", headers=gw.h("auditor"))
    entries = r.json()["data"]
    actions = [e["action"] for e in entries]
    assert actions == ["content.read", "risk.suspend", "consent.grant", "user.delete"]
    read = entries[0]
    assert read["actor_role"] == "operator" and read["reason"] == "reviewing a report about this user"
    assert "hello" not in r.text  # entries never carry content
    assert gw.client.get("/v1/audit/verify", headers=gw.h("auditor")).json()["ok"] is True


@pytest.mark.req("D1")
def test_content_read_without_reason_is_refused(gw: Gateway) -> None:
    r = gw.client.get(f"/v1/operator/users/{USER}/messages", headers=gw.h("operator"))
    assert r.status_code == 400
    r = gw.client.get(f"/v1/operator/users/{USER}/messages", headers=gw.h("operator"), params={"reason": "x"})
    assert r.status_code == 400


@pytest.mark.req("D1")
def test_audit_verify_finds_an_edited_row(gw: Gateway) -> None:
    _fill(gw)
    code, report = _verify(gw)
    assert code == 0 and report["ok"] and report["entries"] == 4
    # The database refuses edits outright …
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        gw.sql("UPDATE rights_audit_log SET reason = 'nothing to see' WHERE seq = 1")
    # … so an attacker with file access drops the trigger first.
    gw.sql("DROP TRIGGER rights_audit_no_update")
    gw.sql("UPDATE rights_audit_log SET reason = 'nothing to see' WHERE seq = 1")
    code, report = _verify(gw)
    assert code == 1 and not report["ok"]
    assert {"seq": 1, "kind": "edited"} in [{k: p[k] for k in ("seq", "kind")} for p in report["problems"]]


@pytest.mark.req("D1")
def test_audit_verify_finds_removed_and_truncated_rows(gw: Gateway) -> None:
    _fill(gw)
    gw.sql("DROP TRIGGER rights_audit_no_delete")
    gw.sql("DELETE FROM rights_audit_log WHERE seq = 2")
    code, report = _verify(gw)
    assert code == 1 and any(p["kind"] == "missing" for p in report["problems"])

    gw.sql("DELETE FROM rights_audit_log WHERE seq > 2")
    code, report = _verify(gw)
    assert code == 1 and any(p["kind"] == "truncated" for p in report["problems"])


@pytest.mark.req("D1")
def test_rewriting_the_whole_chain_still_shows_against_the_head(gw: Gateway) -> None:
    from companion_guard.rights.audit import entry_hash

    _fill(gw)
    gw.sql("DROP TRIGGER rights_audit_no_update")
    gw.sql("DROP TRIGGER rights_audit_no_delete")
    gw.sql("DELETE FROM rights_audit_log WHERE seq = 4")  # hide the deletion, fix up nothing else
    code, report = _verify(gw)
    assert code == 1 and report["problems"][0]["kind"] == "truncated"
    assert entry_hash  # the hash function is public so auditors can re-compute entries themselves


@pytest.mark.req("D1")
def test_high_risk_decisions_are_audited_without_content(gw: Gateway) -> None:
    body = turn(gw, USER, "我真的不想活了，今晚就结束")
    levels = {s["level"] for s in body["guard"]["decision"]["signals"]}
    assert levels & {"high", "critical"}
    r = gw.client.get("/v1/audit", headers=gw.h("auditor"), params={"action": "decision.high_risk"})
    entries = r.json()["data"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["subject_user"] == USER and entry["target"] == body["guard"]["turn_id"]
    assert (
        entry["details"]["direction"] == "input" and "user.suicide_intent" in entry["details"]["categories"]
    )
    assert "不想活" not in r.text


@pytest.mark.req("D1")
def test_concurrent_appends_make_one_chain(any_db_settings: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    from companion_guard.rights import audit
    from companion_guard.store.db import make_engine, make_sessionmaker, session_scope
    from companion_guard.store.migrate import upgrade

    engine = make_engine(any_db_settings.resolved_db_url())
    upgrade(engine)
    sessions = make_sessionmaker(engine)

    def work(worker: int) -> None:
        for i in range(15):
            with session_scope(sessions) as session:
                audit.append(
                    session,
                    actor=("system", f"w{worker}"),
                    action="test.append",
                    at=datetime.now(UTC),
                    details={"i": i},
                )

    try:
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(work, range(6)))
        with session_scope(sessions) as session:
            report = audit.verify(session)
        assert report.ok and report.entries == 90, report.problems
    finally:
        engine.dispose()
