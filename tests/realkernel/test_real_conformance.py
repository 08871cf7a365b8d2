"""``mapviz run --real`` on the conformance suite: the real kernel against the simulator.

Each case is run once on a fresh loop-mounted filesystem (cached for the
module); every step must agree with the ``mainline`` model, and the real run
must also match the case's stored recording (so the runner itself takes the
truth as the recorder of tests/conformance did).  Skipped, with the reason,
when this machine cannot run the real kernel.
"""

from __future__ import annotations

import json

import pytest

from mapviz.cli import main
from mapviz.realkernel import RealRun, compare_runs, run_real
from mapviz.realkernel.sidebyside import side_by_side
from mapviz.scenario import load_scenario
from tests.conftest import CONFORMANCE_SUITE as SUITE

CASES = sorted(p.stem for p in SUITE.glob("*.scenario"))
_RUNS: dict[str, RealRun] = {}

pytestmark = [pytest.mark.kernel, pytest.mark.usefixtures("real_kernel")]


def _run(case: str) -> RealRun:
    """The case's real run, made once per test session."""
    if case not in _RUNS:
        _RUNS[case] = run_real(load_scenario(str(SUITE / f"{case}.scenario")))
    return _RUNS[case]


def test_suite_is_there() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_every_step_agrees_with_the_simulator(case: str, testbeds: list[str]) -> None:
    # No time limit here: how long a case takes is the machine's load and the case's
    # own work (an O_SYNC fill of a device takes seconds); a hang ends at the runner's
    # own timeouts.
    run = _run(case)
    report = "\n".join(side_by_side(run))
    assert run.agrees, report
    assert [p.line for p in run.pairs] == [s["line"] for s in run.simulated["steps"]]


@pytest.mark.parametrize("case", CASES)
def test_real_run_matches_the_stored_recording(case: str) -> None:
    expected = json.loads((SUITE / f"{case}.expected.json").read_text())
    differences = compare_runs(expected, _run(case).real)
    assert not differences, "\n".join(map(str, differences))


def test_cli_prints_real_and_simulated(
    capsys: pytest.CaptureFixture[str], testbeds: list[str]
) -> None:
    status = main(["run", "--real", str(SUITE / "swapfile-mmap-xfs.scenario")])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "every step agrees with the simulator" in out
    assert "%swapon" in out and "SIGBUS" in out
    assert "✗" not in out
    assert len(testbeds) == 1


def test_cli_json_is_the_real_run(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["run", "--real", "--json", str(SUITE / "write-holes-xfs.scenario")])
    out, err = capsys.readouterr()
    assert status == 0, err
    doc = json.loads(out)
    assert doc["schema"] == 1 and doc["kernel"] == "mainline"
    assert doc["oracle"]["fiemap_flag_sync"] is False
    for step in doc["steps"]:
        assert {"line", "command", "process", "file", "result", "why", "events", "files"} <= set(
            step
        )
        assert step["events"] == []
        assert (step["why"] is None) == (step["result"] == "ok")
    states = {e["state"] for s in doc["steps"] for f in s["files"].values() for e in f["extents"]}
    assert "delalloc" in states, "FIEMAP without FIEMAP_FLAG_SYNC shows delalloc"
