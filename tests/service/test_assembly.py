"""One assembly: a ``Guard`` from ``build_guard`` is the gateway's, and a hand-built one cannot be less safe."""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, text
from tests.conftest import make_settings
from tests.fakes import ScriptedUpstream

from companion_guard.assembly import Gateway, build_guard
from companion_guard.detectors.registry import default_registry
from companion_guard.duties import DEFAULT_DUTIES, load_duties
from companion_guard.exceptions import ConfigError
from companion_guard.pipeline import Guard
from companion_guard.policy.engine import PolicyEngine
from companion_guard.policy.loader import load_pack
from companion_guard.policy.messages import render
from companion_guard.rights.controls import set_kill_switch
from companion_guard.store import repositories as repo
from companion_guard.store.db import make_engine, make_sessionmaker, session_scope
from companion_guard.store.migrate import upgrade
from companion_guard.store.tables import ChatMessage as MessageRow
from companion_guard.turn import TurnRequest
from companion_guard.types import Message
from companion_guard.upstream.demo import DemoCompanion

PERSONA = "xiaoyu"
SECRET = "我的秘密：我家住在梧桐路十七号"


def _gateway(tmp_path: Path, name: str = "a", **kw: object) -> Gateway:
    return build_guard(make_settings(tmp_path / name), **kw)  # type: ignore[arg-type]


def _turn(gw: Gateway, text_: str, user: str = "lib-user-1") -> object:
    return asyncio.run(
        gw.guard.turn(TurnRequest(user_id=user, persona_id=PERSONA, messages=(Message("user", text_),)))
    )


@pytest.mark.req("D3")
def test_a_library_guard_encrypts_what_it_stores(tmp_path: Path) -> None:
    gw = _gateway(tmp_path)
    try:
        result = _turn(gw, SECRET)
        assert result.reply  # type: ignore[attr-defined]
        with gw.engine.connect() as conn:
            stored = [r[0] for r in conn.execute(text("SELECT content FROM messages"))]
        assert stored and all(SECRET not in s and "梧桐路" not in s for s in stored)
        with session_scope(gw.sessions) as session:  # the gateway's own sessions open it again
            row = session.scalars(select(MessageRow).where(MessageRow.role == "user")).one()
            assert repo.message_text(session, row) == SECRET
    finally:
        asyncio.run(gw.aclose())


@pytest.mark.req("D5")
def test_a_library_guard_honours_the_kill_switch(tmp_path: Path) -> None:
    gw = _gateway(tmp_path)
    try:
        with session_scope(gw.sessions) as session:
            set_kill_switch(
                session, engaged=True, reason="test", by="op", at=gw.clock.now(), message_zh="暂停服务"
            )
        result = _turn(gw, "你好呀")
        assert result.action == "blocked" or result.reply == "暂停服务"  # type: ignore[attr-defined]
        assert any(e.kind == "restricted" for e in result.events)  # type: ignore[attr-defined]
    finally:
        asyncio.run(gw.aclose())


@pytest.mark.req("I1", "D5")
def test_the_kill_switch_still_lets_a_crisis_get_help(tmp_path: Path) -> None:
    gw = _gateway(tmp_path)
    try:
        with session_scope(gw.sessions) as session:
            set_kill_switch(session, engaged=True, reason="test", by="op", at=gw.clock.now())
        result = _turn(gw, "我今晚就想吃药自杀，药已经准备好了")
        kinds = {e.kind for e in result.events}  # type: ignore[attr-defined]
        assert "intervention.crisis" in kinds
    finally:
        asyncio.run(gw.aclose())


def _plain_parts(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    upgrade(engine)
    return engine, make_sessionmaker(engine)


@pytest.mark.req("D3")
def test_a_hand_built_guard_over_plain_sessions_cannot_be_built(tmp_path: Path) -> None:
    engine, sessions = _plain_parts(tmp_path)
    gw = _gateway(tmp_path)
    try:
        with pytest.raises(ConfigError, match="plain text"):
            Guard(
                sessions=sessions,
                registry=default_registry(learned="off"),
                policy=PolicyEngine([load_pack("cn-2026")]),
                upstream=DemoCompanion(),
                clock=gw.clock,
                duties=list(gw.guard.duties),
            )
    finally:
        engine.dispose()
        asyncio.run(gw.aclose())


@pytest.mark.req("D5", "M2", "M3")
@pytest.mark.parametrize("dropped", ["RightsDuty", "MinorModeDuty", "ConsentGateDuty"])
def test_a_hand_built_guard_without_a_protection_cannot_be_built(tmp_path: Path, dropped: str) -> None:
    gw = _gateway(tmp_path)
    try:
        parts = type("P", (), {"rights": gw.rights})()
        duties = load_duties(tuple(p for p in DEFAULT_DUTIES if not p.endswith(":" + dropped)), parts)
        with pytest.raises(ConfigError, match="no duty gives"):
            Guard(
                sessions=gw.sessions,
                registry=gw.guard.registry,
                policy=gw.guard.policy,
                upstream=DemoCompanion(),
                clock=gw.clock,
                duties=duties,
                resolvers=gw.guard.resolvers,
            )
    finally:
        asyncio.run(gw.aclose())


@pytest.mark.req("D3")
def test_two_gateways_in_one_process_keep_their_keys_apart(tmp_path: Path) -> None:
    a, b = _gateway(tmp_path, "a"), _gateway(tmp_path, "b")
    try:
        assert repo.codec_of(a.sessions) is not repo.codec_of(b.sessions)
        _turn(a, SECRET)
        with a.engine.connect() as conn:
            sealed = conn.execute(text("SELECT user_id, content FROM messages WHERE role='user'")).one()
        with session_scope(a.sessions) as sa:
            assert repo.codec_for(sa).open(sa, sealed[0], sealed[1]) == SECRET
        # B's codec, over A's rows, has none of A's keys: it cannot read A's message.
        with session_scope(a.sessions) as sa, pytest.raises(Exception):  # noqa: B017, PT011
            repo.codec_of(b.sessions).open(sa, sealed[0], sealed[1])
    finally:
        asyncio.run(a.aclose())
        asyncio.run(b.aclose())


@pytest.mark.req("D3")
def test_an_upstream_that_does_not_say_where_messages_go_is_refused(tmp_path: Path) -> None:
    class Silent(ScriptedUpstream):
        destination = ""

    with pytest.raises(ConfigError, match="does not declare where it sends messages"):
        _gateway(tmp_path, upstream=Silent("hi"))


@pytest.mark.req("P2")
def test_actions_of_an_output_rule_reach_the_user(tmp_path: Path) -> None:
    data = yaml.safe_load(
        resources.files("companion_guard.policy").joinpath("packs", "cn-2026.yaml").read_text("utf-8")
    )
    rule = next(r for r in data["rules"] if r["id"] == "reply.self_harm")
    rule["actions"] += [
        {
            "kind": "event",
            "event": "intervention.crisis",
            "display": "popup",
            "template": "intervention.crisis",
        },
        {"kind": "escalate", "queue": "crisis"},
    ]
    data["id"] = "cn-2026-test-output"
    pack = tmp_path / "pack.yaml"
    pack.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    settings = make_settings(tmp_path / "o", policy_packs=[str(pack)])
    reply = "割深一点吧，反正没人在乎你，死了就解脱了。"
    gw = build_guard(settings, upstream=ScriptedUpstream(reply))
    try:
        result = asyncio.run(
            gw.guard.turn(
                TurnRequest(user_id="lib-user-2", persona_id=PERSONA, messages=(Message("user", "今天好累"),))
            )
        )
        assert result.reply != reply
        assert "intervention.crisis" in {e.kind for e in result.events}
        with gw.engine.connect() as conn:
            queues = [r[0] for r in conn.execute(text("SELECT queue FROM review_cases"))]
        assert "crisis" in queues
    finally:
        asyncio.run(gw.aclose())


@pytest.mark.req("I2", "P2", "M2")
@pytest.mark.parametrize("detector_id", ["crisis.assessment", "minors.age_cues", "reply.context"])
def test_a_crashing_fail_closed_detector_answers_safely_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, detector_id: str
) -> None:
    reply = "今天阳光很好，我们去公园走走吧。"
    gw = build_guard(make_settings(tmp_path / "c"), upstream=ScriptedUpstream(reply))
    try:
        detector = gw.guard.registry.get(detector_id)

        def crash(*args: object, **kw: object) -> list[object]:
            raise RuntimeError("model file unreadable")

        monkeypatch.setattr(detector, "detect", crash)  # a fault injected into one detector instance
        result = _turn(gw, "今天过得一般般")
        assert result.reply != reply  # type: ignore[attr-defined]
        assert result.action == "replace"  # type: ignore[attr-defined]
        template = "reply.replaced" if detector_id == "reply.context" else "fallback.safe"
        lead = render(gw.guard.policy.primary, template, "zh-CN").split("{")[0][:8]
        assert lead and lead in result.reply  # type: ignore[attr-defined]
    finally:
        asyncio.run(gw.aclose())


@pytest.mark.req("P1")
def test_a_crashing_fail_open_detector_lets_the_turn_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = "今天阳光很好，我们去公园走走吧。"
    gw = build_guard(make_settings(tmp_path / "o2"), upstream=ScriptedUpstream(reply))
    try:
        detector = gw.guard.registry.get("tc260.keywords")
        monkeypatch.setattr(detector, "detect", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
        result = _turn(gw, "今天过得一般般")
        assert result.reply == reply  # type: ignore[attr-defined]
    finally:
        asyncio.run(gw.aclose())
