"""The guardian duties: one job each, over one GuardianState per turn (M1–M4, E1, I3)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import chat, event_kinds

from companion_guard.duties import DEFAULT_DUTIES, Duty, duty_classes
from companion_guard.guardians import duty as gduty
from companion_guard.guardians import state as gstate


def test_the_guardian_duties_are_small_and_registered_in_stage_order() -> None:
    ids = [d.id for d in duty_classes()]
    guardians = [i for i in ids if i.startswith("guardians.")]
    assert guardians == [
        "guardians.consent",
        "guardians.minor_mode",
        "guardians.personas",
        "guardians.elderly",
        "guardians.crisis_alert",
        "guardians.dependency",
        "guardians.activity",
    ]
    assert not any(p.endswith(":GuardiansDuty") for p in DEFAULT_DUTIES)
    assert not hasattr(gduty, "GuardiansDuty")
    # Gates only where a duty gates: consent, minor mode, persona access (in that order).
    gating = [d.id for d in duty_classes() if d.gate is not Duty.gate]
    assert [g for g in gating if g.startswith("guardians.")] == [
        "guardians.consent",
        "guardians.minor_mode",
        "guardians.personas",
    ]


@pytest.mark.req("M3", "I3")
def test_the_state_is_loaded_once_a_turn(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[str] = []
    real = gstate.load_state

    def counting(ctx: Any) -> gstate.GuardianState:
        loads.append(ctx.turn_id)
        return real(ctx)

    monkeypatch.setattr(gstate, "load_state", counting)
    client.put("/v1/users/teen", json={"age": 15})
    for text in ("你好", "我离不开你，没有你我活不下去", "今天作业好多"):
        chat(client, "teen", "xiaoyu", text)
    chat(client, "teen", "linshen", "你好")  # a gated turn reads it once too
    assert len(loads) == 4 and len(set(loads)) == 4


@pytest.mark.req("E1")
def test_elderly_mode_is_a_group_from_the_start_of_the_turn(client: TestClient) -> None:
    """An opted-in 45-year-old is in the ``elderly`` group when the pack decides (no later change)."""
    client.put("/v1/users/opted", json={"age": 45, "mode": "elderly"})
    client.put("/v1/users/plain", json={"age": 45})
    text = "他们说我中奖了，还要我先交手续费"
    opted = chat(client, "opted", "xiaoyu", text)
    assert "warning.fraud" in event_kinds(opted)
    assert any(r["rule"] == "elderly.fraud_help" for r in opted["guard"]["decision"]["rules"])
    assert "warning.fraud" not in event_kinds(chat(client, "plain", "xiaoyu", text))


@pytest.mark.req("M1")
def test_a_disputed_adult_age_is_a_minor_group_for_the_reply_rules(client: TestClient) -> None:
    client.put("/v1/users/maybe", json={"age": 25})
    first = chat(client, "maybe", "linshen", "我才初二")
    assert "notice.age_confirmation" in event_kinds(first)
    # Next turn the intimate persona waits for a confirmed age (M1 fails closed).
    assert "block.persona" in event_kinds(chat(client, "maybe", "linshen", "你好"))
