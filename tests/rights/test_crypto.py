"""D3: the key hierarchy — master key sources, AES-GCM sealing, rotation, crypto-shredding."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.rights.conftest import USER, Gateway, turn
from typer.testing import CliRunner

from companion_guard.exceptions import ConfigError
from companion_guard.rights.aead import DecryptionError, is_sealed, new_data_key, open_with, seal_with
from companion_guard.rights.data_keys import DataKeys, wrap_context
from companion_guard.rights.master_key import MasterKey, MasterKeyRing
from companion_guard.rights.master_key_file import KeyFile
from companion_guard.rights.master_key_loading import ENV_PREVIOUS_KEYS, load_master_keyring

DEK = new_data_key()


@pytest.mark.req("D3")
@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300), user=st.text(min_size=1, max_size=40))
def test_seal_open_roundtrip_and_binding(text: str, user: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates never reach the store (the API refuses them)
    token = seal_with(DEK, text, user_id=user, purpose="field")
    assert is_sealed(token) and (len(text) < 12 or text not in token)
    assert open_with(DEK, token, user_id=user, purpose="field") == text
    with pytest.raises(DecryptionError):
        open_with(DEK, token, user_id=user + "x", purpose="field")
    with pytest.raises(DecryptionError):
        open_with(DEK, token, user_id=user, purpose="complaint")


@pytest.mark.req("D3")
def test_tampered_ciphertext_does_not_open() -> None:
    token = seal_with(DEK, "hello", user_id="u", purpose="field")
    raw = bytearray(base64.urlsafe_b64decode(token[4:] + "=" * (-len(token[4:]) % 4)))
    raw[-1] ^= 1
    bad = "cg1:" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(DecryptionError):
        open_with(DEK, bad, user_id="u", purpose="field")
    with pytest.raises(DecryptionError):
        open_with(DEK, "plain text", user_id="u", purpose="field")


@pytest.mark.req("D3")
def test_master_key_sources(tmp_path: Path) -> None:
    key = MasterKey.generate()
    ring = load_master_keyring(
        key_file=tmp_path / "unused.key", env={"COMPANION_GUARD_MASTER_KEY": key.secret.hex()}
    )
    assert ring.current.key_id == key.key_id and ring.source == "env"
    assert not (tmp_path / "unused.key").exists()
    old = MasterKey.generate()
    ring = load_master_keyring(
        env={
            "COMPANION_GUARD_MASTER_KEY": key.encoded(),
            "COMPANION_GUARD_MASTER_KEY_PREVIOUS": old.encoded(),
        }
    )
    assert set(ring.key_ids) == {key.key_id, old.key_id}
    with pytest.raises(ConfigError):
        load_master_keyring(env={"COMPANION_GUARD_MASTER_KEY": "too-short"})
    ring = load_master_keyring(env={"COMPANION_GUARD_KMS_HOOK": "tests.rights.test_crypto:kms_hook"})
    assert ring.source.startswith("hook:")
    dek = new_data_key()
    kid, wrapped = ring.wrap(dek, b"ctx")
    assert ring.unwrap(kid, wrapped, b"ctx") == dek
    with pytest.raises(ConfigError):
        load_master_keyring(env={"COMPANION_GUARD_KMS_HOOK": "no_such_module:x"})
    with pytest.raises(ConfigError):
        load_master_keyring(key_file=tmp_path / "absent.key", env={}, create=False)


_HOOK_KEY = MasterKey.generate()


def kms_hook() -> MasterKey:
    """A stand-in key-management hook: any object with key_id, wrap and unwrap."""
    return _HOOK_KEY


@pytest.mark.req("D3")
@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_key_file_open_to_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    KeyFile(path).create()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_master_keyring(key_file=path, env={})


@pytest.mark.req("D3")
def test_wrong_master_key_is_a_clear_error() -> None:
    a, b = MasterKey.generate(), MasterKey.generate()
    kid, wrapped = MasterKeyRing(a).wrap(new_data_key(), b"x")
    with pytest.raises(ConfigError, match=f"not configured.*set {ENV_PREVIOUS_KEYS} or restore the key file"):
        MasterKeyRing(b).unwrap(kid, wrapped, b"x")


@pytest.mark.req("D3")
def test_master_key_rotate_command_rewraps_and_retires_the_old_key(gw: Gateway) -> None:
    from companion_guard.cli import build_app

    turn(gw, USER, "before rotation")
    turn(gw, "u-two", "also before")
    home = Path(gw.settings.home)
    old_current, _ = KeyFile(home / "master.key").read()
    result = CliRunner().invoke(build_app(), ["master-key", "rotate", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "2 data key(s) re-wrapped" in result.output
    new_current, previous = KeyFile(home / "master.key").read()
    assert new_current.key_id != old_current.key_id and previous == ()
    assert {r[0] for r in gw.sql("SELECT master_key_id FROM rights_user_keys")} == {new_current.key_id}
    # a fresh process with only the new key still reads everything
    from companion_guard.store.db import make_engine, make_sessionmaker, session_scope
    from companion_guard.store.tables import ChatMessage

    turn(gw, "u-three", "a new user after rotation, same running gateway")
    engine = make_engine(f"sqlite:///{gw.db_path}")
    keys = DataKeys(MasterKeyRing(new_current))
    with session_scope(make_sessionmaker(engine)) as session:
        msg = session.query(ChatMessage).filter_by(user_id=USER, role="user").one()
        assert keys.open(session, USER, msg.content) == "before rotation"
        msg = session.query(ChatMessage).filter_by(user_id="u-three", role="user").one()
        assert keys.open(session, "u-three", msg.content).startswith("a new user after rotation")
    engine.dispose()
    # the command's first name still works, and rotates the master key again
    result = CliRunner().invoke(build_app(), ["keys", "rotate", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "3 data key(s) re-wrapped" in result.output and f"retired {new_current.key_id}" in result.output
    actions = [a for (a,) in gw.sql("SELECT action FROM rights_audit_log")]
    assert actions[-2:] == ["keys.rotate", "keys.rotate"]


# Written by the code before rights/crypto.py was split (issue 17): what is stored must keep opening.
_OLD_MASTER = MasterKey(bytes(range(32)))
_OLD_DEK = bytes(range(100, 132))
_OLD_WRAPPED = bytes.fromhex(
    "ec623eacf2fe460f4b78bbf09b012074495fb182f824443147da8af8621e2211"
    "cbca652701795e83594a4d45c2b209feee825bbf595da6594a282a5e"
)
_OLD_TOKEN = "cg1:3hKo4oAGVmSxRqiTgDa58r2cyDizYM7nrPxQ52yOhHtXVXdyI3iexYESqj7eBR2F0XPXQk3zG-CdsR0"


@pytest.mark.req("D3")
def test_values_sealed_before_the_split_still_open(tmp_path: Path) -> None:
    assert _OLD_MASTER.key_id == "4c374021587f9924"
    assert _OLD_MASTER.unwrap(_OLD_WRAPPED, wrap_context("u-1")) == _OLD_DEK
    assert open_with(_OLD_DEK, _OLD_TOKEN, user_id="u-1", purpose="field") == "你好, sealed before the split"
    with pytest.raises(DecryptionError):
        _OLD_MASTER.unwrap(_OLD_WRAPPED, wrap_context("u-2"))
    # a key file as the old code wrote it
    path = tmp_path / "master.key"
    path.write_text(
        '{\n  "version": 1,\n  "current": "4c374021587f9924",\n  "keys": {\n'
        '    "4c374021587f9924": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="\n  }\n}',
        encoding="utf-8",
    )
    path.chmod(0o600)
    ring = load_master_keyring(key_file=path, env={})
    assert ring.unwrap("4c374021587f9924", _OLD_WRAPPED, wrap_context("u-1")) == _OLD_DEK
    # and a new key file is written byte for byte as before
    again = tmp_path / "again.key"
    KeyFile(again).write(_OLD_MASTER)
    assert again.read_text("utf-8") == path.read_text("utf-8")


def test_old_import_paths_name_the_same_objects() -> None:
    from companion_guard.rights import aead, crypto, data_keys, keys, master_key, master_key_loading

    assert crypto.seal_with is aead.seal_with and crypto.PREFIX == aead.PREFIX
    assert crypto.MasterKeyRing is master_key.MasterKeyRing
    assert crypto.load_master_keyring is master_key_loading.load_master_keyring
    assert crypto.KeyDestroyed is data_keys.KeyDestroyed and crypto.DekCache is data_keys.DekCache
    assert keys.UserKeys is data_keys.DataKeys is keys.DataKeys
    assert keys.EncryptingCodec is data_keys.EncryptingCodec
    assert all(hasattr(crypto, name) for name in crypto.__all__)
