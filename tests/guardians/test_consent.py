"""Invitation codes, credentials and consent records (M2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from companion_guard.exceptions import AccessDenied, InputError
from companion_guard.guardians.consent import (
    ConsentRecord,
    ConsentScope,
    check_invitation,
    consent_in_force,
    hash_secret,
    new_guardian_token,
    new_invitation,
)

NOW = datetime(2026, 8, 1, 9, tzinfo=UTC)


@pytest.mark.req("M2")
def test_invitation_code_checks() -> None:
    inv = new_invitation(NOW)
    assert len(inv.code) == 14 and inv.code.count("-") == 2
    assert inv.code not in inv.code_hash
    check_invitation(
        code=inv.code.lower().replace("-", " "),
        stored_hash=inv.code_hash,
        expires_at=inv.expires_at,
        used_at=None,
        now=NOW,
    )
    with pytest.raises(AccessDenied, match="match"):
        check_invitation(
            code="WRONG", stored_hash=inv.code_hash, expires_at=inv.expires_at, used_at=None, now=NOW
        )
    with pytest.raises(AccessDenied, match="used"):
        check_invitation(
            code=inv.code, stored_hash=inv.code_hash, expires_at=inv.expires_at, used_at=NOW, now=NOW
        )
    with pytest.raises(AccessDenied, match="expired"):
        check_invitation(
            code=inv.code,
            stored_hash=inv.code_hash,
            expires_at=inv.expires_at,
            used_at=None,
            now=NOW + timedelta(days=8),
        )


def test_codes_and_tokens_are_random() -> None:
    assert len({new_invitation(NOW).code for _ in range(50)}) == 50
    token, digest = new_guardian_token()
    assert token.startswith("cg_guardian_") and digest == hash_secret(token) and token not in digest


@pytest.mark.req("M2")
def test_revocation_ends_consent_at_once() -> None:
    record = ConsentRecord("kid", "g1", ConsentScope.FULL, NOW)
    assert record.active(NOW)
    revoked = ConsentRecord("kid", "g1", ConsentScope.FULL, NOW, revoked_at=NOW + timedelta(seconds=1))
    assert revoked.active(NOW) and not revoked.active(NOW + timedelta(seconds=1))
    assert consent_in_force([revoked], NOW + timedelta(seconds=1)) is None
    assert consent_in_force([revoked, record], NOW + timedelta(hours=1)) is record


def test_scope_parsing() -> None:
    assert ConsentScope.parse(None) is ConsentScope.FULL
    assert ConsentScope.parse("full").allows_spending and not ConsentScope.parse("service").allows_spending
    with pytest.raises(InputError, match="scope"):
        ConsentScope.parse("everything")
