"""No module over 500 lines and no function over 80 (outside migrations), except the declarative
tables that ``scripts/layout_check.py`` lists with their reasons."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_module_and_function_stays_within_its_length():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "layout_check.py")], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
