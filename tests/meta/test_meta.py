"""Meta-tests that keep the public API, the layering and the requirement IDs honest."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import companion_guard
from companion_guard.policy.loader import load_pack
from companion_guard.requirements import REQUIREMENTS

TESTS = Path(__file__).parents[1]
SRC = (
    TESTS.parent / "src" / "companion_guard"
)  # the source tree, also when the package is installed from a wheel


def test_public_api_is_sorted_and_importable() -> None:
    names = companion_guard.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(companion_guard, name) is not None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_detectors_and_policy_stay_below_the_service_layer() -> None:
    forbidden = ("fastapi", "sqlalchemy", "httpx", "companion_guard.service", "companion_guard.store")
    for layer in ("detectors", "policy"):
        for path in (SRC / layer).rglob("*.py"):
            bad = {m for m in _imports(path) if m.startswith(forbidden)}
            assert not bad, f"{path.relative_to(SRC)} imports {bad}"


def test_shipped_pack_validates_and_names_known_requirements() -> None:
    pack = load_pack("cn-2026")
    for rule in pack.rules:
        assert rule.requirement in REQUIREMENTS, rule.id


def test_every_requirement_marker_names_a_known_id() -> None:
    pattern = re.compile(r"""req\(\s*["']([A-Z]\d)["']""")
    seen = set()
    for path in TESTS.rglob("test_*.py"):
        for rid in pattern.findall(path.read_text(encoding="utf-8")):
            assert rid in REQUIREMENTS, f"{path}: unknown requirement {rid}"
            seen.add(rid)
    # Every requirement the code claims to implement has at least one test that says so.
    from companion_guard.compliance import code_locations

    claimed = set(code_locations())
    missing = sorted(claimed - seen)
    assert not missing, f"implemented but no @pytest.mark.req test: {missing}"
