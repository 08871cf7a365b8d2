"""The mainline model against the real kernel: ../shared/conformance/mainline.

Each recorded case runs in-process and is compared with the steering side's
own compare.py (same normalisation, same verdict); one test also runs the
suite exactly as the issue states it, through the ``mapviz`` command.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED, differences_from_recording

SUITE = SHARED / "conformance" / "mainline"
CASES = sorted(p.stem for p in SUITE.glob("*.scenario")) if SUITE.exists() else []


@pytest.mark.parametrize("case", CASES)
def test_case_matches_the_real_kernel(case: str) -> None:
    differences = differences_from_recording(
        SUITE / f"{case}.scenario", SUITE / f"{case}.expected.json"
    )
    assert not differences, "\n".join(differences)


def test_suite_through_the_cli() -> None:
    if not SUITE.exists():
        pytest.skip(f"{SUITE} is not there: run the tests with ../shared beside the project")
    out = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "compare.py"), "--suite", str(SUITE),
         "--cmd", f"{sys.executable} -m mapviz run --json {{}}"],
        capture_output=True, text=True,
    )
    last = out.stdout.strip().splitlines()[-1]
    assert last == f"{len(CASES)} passed, 0 failed", out.stdout
    assert len(CASES) >= 30


def test_suite_path_is_beside_the_project() -> None:
    assert Path(SUITE).parts[-3:] == ("shared", "conformance", "mainline")
