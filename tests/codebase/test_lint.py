"""The code is formatted by ``ruff format`` and clean under ``ruff check`` (pyproject's config).

Run through pytest so the README's one test command checks it, on CI and on a
contributor's machine alike.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

TREES = ("mapviz", "tests", "benchmarks", "tools")


def _ruff() -> list[str]:
    # ruff is a [test] dependency: beside this interpreter in a venv, else on PATH.
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.exists() else shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed (pip install -e '.[test]')")
    return [found]


@pytest.mark.parametrize("check", [["format", "--check"], ["check"]], ids=["format", "lint"])
def test_ruff(check: list[str]) -> None:
    done = subprocess.run(
        [*_ruff(), *check, *TREES], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
