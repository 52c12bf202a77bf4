"""PII spans in both directions (P3, D3)."""

from __future__ import annotations

import pytest

from companion_guard.detectors import DetectionContext, DetectorRegistry
from companion_guard.detectors.builtin.privacy import id_checksum_ok, luhn_ok
from companion_guard.types import Direction

pytestmark = pytest.mark.req("P3")

# Numbers below are made up by the project (the ID's check digit computed by id_checksum_ok).
ID = "11010519491231002X"


@pytest.mark.parametrize("direction", list(Direction))
@pytest.mark.parametrize(
    ("text", "category", "value"),
    [
        (f"我的身份证号是{ID}", "pii.id_number", ID),
        ("电话13912345678", "pii.phone", "13912345678"),
        ("电话 139 1234 5678 找我", "pii.phone", "139 1234 5678"),
        ("电话１３９１２３４５６７８", "pii.phone", "１３９１２３４５６７８"),
        ("卡号4111111111111111", "pii.bank_card", "4111111111111111"),
        ("邮箱 someone@example.com 联系", "pii.email", "someone@example.com"),
        ("我住在浙江省杭州市西湖区文三路100号", "pii.address", "浙江省杭州市西湖区文三路100号"),
        ("I live at 221 Baker Street", "pii.address", "221 Baker Street"),
        ("send it to 12 North 5th Terrace please", "pii.address", "12 North 5th Terrace"),
        ("地址：广东省深圳市南山区科技园8栋1203室", "pii.address", "广东省深圳市南山区科技园8栋1203室"),
        ("call me on +44 20 7946 0018 tonight", "pii.phone", "+44 20 7946 0018"),
    ],
)
def test_pii_spans(
    lexicon_registry: DetectorRegistry, direction: Direction, text: str, category: str, value: str
) -> None:
    sigs = [s for s in lexicon_registry.detect(text, DetectionContext(direction)) if s.category == category]
    assert sigs, text
    assert any(e.text == value and text[e.start : e.end] == value for e in sigs[0].evidence)


@pytest.mark.parametrize("text", ["今天走了12000步", "订单号 20240115", "价格是1999元", "4111111111111112"])
def test_not_pii(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert not [
        s
        for s in lexicon_registry.detect(text, DetectionContext(Direction.INPUT))
        if s.category.startswith("pii.")
    ]


def test_validators() -> None:
    assert id_checksum_ok(ID)
    assert not id_checksum_ok("110105194912310021")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
