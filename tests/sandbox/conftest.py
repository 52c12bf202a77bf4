"""Fixtures for the sandbox tests: bare demo companions and gateways on real ports, and the suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.sandbox.helpers import bare, gateway

from companion_guard.sandbox.scenario import Scenario, load_suite


@pytest.fixture(scope="module")
def bare_unsafe_url() -> Iterator[str]:
    """The misbehaving demo companion, bare."""
    yield from bare("demo:unsafe")


@pytest.fixture(scope="module")
def bare_safe_url() -> Iterator[str]:
    """The well-behaved demo companion, bare."""
    yield from bare("demo")


@pytest.fixture(scope="module")
def gateway_unsafe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """companion-guard serve --sandbox --upstream demo:unsafe."""
    yield from gateway(tmp_path_factory.mktemp("gw-unsafe"), "demo:unsafe")


@pytest.fixture(scope="module")
def gateway_safe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """companion-guard serve --sandbox --upstream demo."""
    yield from gateway(tmp_path_factory.mktemp("gw-safe"), "demo")


@pytest.fixture(scope="session")
def suite() -> list[Scenario]:
    """The shipped cn-2026 suite."""
    return load_suite("cn-2026")
