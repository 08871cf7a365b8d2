"""kernel_diff on the real kernel: one small generated case, and a restart after SIGBUS.

Skipped, with the reason, unless this machine can run the real kernel (the
``real_kernel`` fixture of tests/realkernel); ``testbeds`` checks that no
mount, loop device or xfs_io is left behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realkernel.conftest import real_kernel, testbeds  # noqa: F401  (the fixtures)
from tools.kernel_diff.cli import main
from tools.kernel_diff.generate import generate
from tools.kernel_diff.oracle import evaluate

pytestmark = [pytest.mark.kernel, pytest.mark.usefixtures("real_kernel", "testbeds")]

SIGBUS_CASE = """\
%title a store past EOF kills xfs_io, which the recorder restarts
%kernel mainline
%fs xfs
open -f a
pwrite 0 4k
mmap 0 8k
mwrite 4096 1
pwrite 4k 4k
fsync
"""


def test_a_generated_case_is_recorded_and_compared(tmp_path: Path) -> None:
    case = tmp_path / "seed-5.scenario"
    case.write_text(generate(5))
    outcome = evaluate(case)
    assert outcome.status in ("match", "diverge", "racy"), outcome.message
    assert outcome.real is not None and outcome.simulated is not None
    assert outcome.real["oracle"]["runner"] == "mapviz run --real"  # the project's recorder
    lines = [step["line"] for step in outcome.real["steps"]]
    assert lines == [step["line"] for step in outcome.simulated["steps"]] == list(range(4, 10))


def test_comparison_stops_at_the_step_that_restarted_xfs_io(tmp_path: Path) -> None:
    case = tmp_path / "sigbus.scenario"
    case.write_text(SIGBUS_CASE)
    outcome = evaluate(case)
    assert outcome.real is not None
    last = outcome.real["steps"][-1]
    assert (last["line"], last["result"], last["restarted"]) == (7, "SIGBUS", True)
    assert outcome.simulated is not None
    assert outcome.simulated["steps"][-1]["line"] == 7  # lines 8 and 9 are not compared
    assert outcome.status == "match", outcome.diffs


def test_run_prints_the_divergence_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["run", "--seed", "5", "--count", "1", "--no-shrink", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status in (0, 1)
    assert "divergence rate" in out
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 1
