"""D3: message text and sensitive user fields are encrypted at rest (canary through the real API)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import httpx
import pytest
from tests.conftest import PROVIDER_KEY, make_settings, start_server
from tests.rights.conftest import add_role_keys, db_bytes

CANARY = "CANARY-9c1e 我的秘密是一头会唱歌的蓝色鲸鱼"
CONTACT_CANARY = "canary-contact-5521"
GUARDIAN_CANARY = "canary-guardian-7730"
CRISIS = "我真的不想活了"


@pytest.mark.req("D3")
def test_canary_sentence_is_nowhere_in_plain_text(tmp_path: Path) -> None:
    from companion_guard.service.app import create_app

    settings = make_settings(tmp_path)
    app = create_app(settings)
    server = start_server(app)
    try:
        keys = add_role_keys(app)
        h = {"Authorization": f"Bearer {PROVIDER_KEY}"}
        with httpx.Client(base_url=server.base_url, headers=h, timeout=30) as http:
            r = http.put(
                "/v1/users/u-canary",
                json={
                    "age": 30,
                    "locale": "zh-CN",
                    "emergency_contact": {
                        "name": CONTACT_CANARY,
                        "phone": "13912345678",
                        "email": f"{CONTACT_CANARY}@example.org",
                        "webhook": f"http://127.0.0.1:9/{CONTACT_CANARY}",
                    },
                    "guardian": {"name": GUARDIAN_CANARY, "email": f"{GUARDIAN_CANARY}@example.org"},
                },
            )
            assert r.status_code == 200, r.text
            for text in (CANARY, f"{CRISIS}，{CANARY}"):
                r = http.post(
                    "/v1/chat/completions",
                    json={
                        "model": "mimi",
                        "user": "u-canary",
                        "messages": [{"role": "user", "content": text}],
                    },
                )
                assert r.status_code == 200, r.text
            # a high-level crisis queued a notification to the contact (its address is sealed too)
            assert "notify.emergency_contact" in [e["kind"] for e in r.json()["guard"]["events"]]
            # the data is really there: the user can read it back
            r = http.get("/v1/users/u-canary/export", headers={"Authorization": f"Bearer {keys['provider']}"})
            exported = json.dumps(r.json(), ensure_ascii=False)
            assert CANARY in exported and CONTACT_CANARY in exported and CRISIS in exported
            # while running (WAL and shm present) and after a clean stop
            blob = db_bytes(Path(settings.home))
            assert any(p.name.endswith("-wal") for p in Path(settings.home).iterdir())
            _assert_absent(blob)
    finally:
        server.stop()
    _assert_absent(db_bytes(Path(settings.home)))


def _assert_absent(blob: bytes) -> None:
    assert len(blob) > 10_000
    for secret in (CANARY, "会唱歌的蓝色鲸鱼", CONTACT_CANARY, GUARDIAN_CANARY, "13912345678", CRISIS):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in blob, f"{secret!r} found in plain text ({encoding})"


@pytest.mark.req("D3")
def test_first_start_creates_owner_only_key_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from companion_guard.rights.master_key_loading import load_master_keyring

    path = tmp_path / "home" / "master.key"
    with caplog.at_level("WARNING", logger="companion_guard.rights"):
        ring = load_master_keyring(key_file=path, env={})
    assert path.exists()
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "master key file" in caplog.text and str(path) in caplog.text
    again = load_master_keyring(key_file=path, env={})
    assert again.current.key_id == ring.current.key_id
