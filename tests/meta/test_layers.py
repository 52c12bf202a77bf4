"""The layers of DESIGN.md hold: service above pipeline above detectors, policy and store (import-linter).

The contracts live in pyproject.toml (``[tool.importlinter]``); ``lint-imports`` prints the same report.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    run = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "Contracts:" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.returncode == 0, run.stdout[-4000:]
