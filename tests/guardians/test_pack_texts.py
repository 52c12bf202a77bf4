"""What users read comes from the pack in force: a second pack changes it (I3, D4, M1–M3, E1).

One gateway runs a copy of cn-2026 whose texts were changed; another a copy without the
elderly rules. Both are real packs loaded from a file, as a second jurisdiction's would be.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from tests.conftest import PROVIDER_KEY, chat, event_kinds, make_settings
from tests.fakes import ScriptedUpstream
from tests.guardians.conftest import goto_local

SHIPPED = Path(__file__).parents[2] / "src/companion_guard/policy/packs/cn-2026.yaml"

#: The texts the second pack changes: every one is shown by a different duty.
CHANGED = {
    "notice.data_rights": "P2 你的数据权利",  # rights duty (D4)
    "steer.let_go": "P2 LET THEM GO",  # rights duty (D4, P6), told to the companion
    "steer.ai_honest": "P2 SAY YOU ARE AN AI",  # disclosure duty (I3), told to the companion
    "consent.required": "P2 请监护人同意",  # consent gate (M2)
    "block.persona": "P2 不能用「{relationship}」，试试：{alternatives}",  # persona access (M1)
    "relationship.partner": "P2恋人",
    "guidance.elderly": "P2 老年人提示",  # elderly duty (E1)
    "warning.fraud": "P2 防骗弹窗",  # pack rule elderly.fraud_help (E1)
    "help.queued": "P2 工作人员会联系您",  # pack rule elderly.fraud_case (E1)
}


def _pack(tmp_path: Path, name: str, *, messages: dict[str, str] | None = None, drop_rules: str = "") -> Path:
    data: dict[str, Any] = yaml.safe_load(SHIPPED.read_text("utf-8"))
    data["id"] = name
    for key, value in (messages or {}).items():
        data["messages"][key] = {"zh": value, "en": value}
    if drop_rules:
        data["rules"] = [r for r in data["rules"] if not r["id"].startswith(drop_rules)]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _client(tmp_path: Path, pack: Path, upstream: ScriptedUpstream | None = None) -> Iterator[TestClient]:
    from companion_guard.service.app import create_app

    settings = make_settings(tmp_path, policy_packs=[str(pack)])
    app = create_app(settings, upstream=upstream, run_outbox=False)
    with TestClient(app, headers={"Authorization": f"Bearer {PROVIDER_KEY}"}) as client:
        goto_local(client, 15)  # Shanghai daytime: a minor's turn is not stopped by quiet hours
        yield client


@pytest.fixture
def upstream() -> ScriptedUpstream:
    return ScriptedUpstream(*["好的。"] * 8)


@pytest.fixture
def second(tmp_path: Path, upstream: ScriptedUpstream) -> Iterator[TestClient]:
    """The gateway on a second pack whose texts differ from cn-2026's."""
    yield from _client(tmp_path, _pack(tmp_path, "second", messages=CHANGED), upstream)


def _event(body: dict[str, Any], kind: str) -> dict[str, Any]:
    (event,) = [e for e in body["guard"]["events"] if e["kind"] == kind]
    return event


def _system(upstream: ScriptedUpstream) -> str:
    return "\n".join(m.content for m in upstream.requests[-1].messages if m.role == "system")


@pytest.mark.req("D4", "I3", "M1", "M2", "E1")
def test_a_second_pack_changes_what_the_user_reads(second: TestClient, upstream: ScriptedUpstream) -> None:
    second.put("/v1/users/adult", json={"age": 30})
    body = chat(second, "adult", "xiaoyu", "我想注销账号，删除我的数据")
    assert _event(body, "notice.data_rights")["message"] == CHANGED["notice.data_rights"]
    assert CHANGED["steer.let_go"] in _system(upstream)

    chat(second, "adult", "xiaoyu", "你是真人吗？")
    assert CHANGED["steer.ai_honest"] in _system(upstream)

    second.put("/v1/users/child", json={"age": 10})
    assert (
        _event(chat(second, "child", "xiaoyu", "你好"), "consent.required")["message"]
        == CHANGED["consent.required"]
    )

    second.put("/v1/users/teen", json={"age": 15})
    blocked = _event(chat(second, "teen", "linshen", "你好"), "block.persona")["message"]
    assert blocked.startswith("P2 不能用「P2恋人」，试试：")

    second.put("/v1/users/elder", json={"age": 70})
    assert (
        _event(chat(second, "elder", "xiaoyu", "你好"), "notice.guidance")["message"]
        == CHANGED["guidance.elderly"]
    )
    scam = chat(second, "elder", "xiaoyu", "他们说我中奖了")
    assert _event(scam, "warning.fraud")["message"] == CHANGED["warning.fraud"]
    escalations = [e for e in scam["guard"]["events"] if e["kind"] == "escalation.human"]
    help_case = [e["message"] for e in escalations if e["data"]["queue"] == "elderly_help"]
    assert help_case == [CHANGED["help.queued"]]


@pytest.mark.req("E1")
def test_without_the_elderly_rules_no_fraud_popup_and_no_help_case(tmp_path: Path) -> None:
    for client in _client(tmp_path, _pack(tmp_path, "no-elderly", drop_rules="elderly.")):
        client.put("/v1/users/elder", json={"age": 70})
        chat(client, "elder", "xiaoyu", "你好")
        body = chat(client, "elder", "xiaoyu", "他们说我中奖了，还要我先交手续费")
        assert "warning.fraud" not in event_kinds(body)
        assert not any(r["rule"].startswith("elderly.") for r in body["guard"]["decision"]["rules"])
        cases = client.get("/v1/help-cases?queue=elderly_help").json()["cases"]
        assert cases == []
        # The guidance is not a rule: it stays (E1 healthy-use notice on the first turn).
        client.put("/v1/users/elder-2", json={"age": 66})
        assert "notice.guidance" in event_kinds(chat(client, "elder-2", "xiaoyu", "你好"))
