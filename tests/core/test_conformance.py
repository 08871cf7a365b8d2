"""The mainline model against the real kernel: tests/conformance/mainline.

Each recorded case runs in-process and is compared after the conformance
normalisation (docs/conformance.md, "What is compared"); one test runs the
suite as a user would, through ``mapviz conformance --cmd``.  The comparer
itself is held to that document by mutating a recording: a comparer that
passes everything would pass the suite too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mapviz.cli import main
from mapviz.core.changes import only_changes_document
from mapviz.realkernel.normalise import compare_runs
from tests.conftest import CONFORMANCE_SUITE, differences_from_recording

CASES = sorted(p.stem for p in CONFORMANCE_SUITE.glob("*.scenario"))


def test_the_suite_is_in_the_repository() -> None:
    assert len(CASES) >= 30
    for case in CASES:
        assert (CONFORMANCE_SUITE / f"{case}.expected.json").is_file(), case


@pytest.mark.parametrize("case", CASES)
def test_case_matches_the_real_kernel(case: str) -> None:
    differences = differences_from_recording(
        CONFORMANCE_SUITE / f"{case}.scenario", CONFORMANCE_SUITE / f"{case}.expected.json"
    )
    assert not differences, "\n".join(differences)


@pytest.mark.slow
def test_suite_through_the_cli() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mapviz",
            "conformance",
            str(CONFORMANCE_SUITE),
            "--cmd",
            f"{sys.executable} -m mapviz run --json {{}}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == f"{len(CASES)} passed, 0 failed", out.stdout + out.stderr
    assert sum(line.startswith("PASS ") for line in lines) == len(CASES)
    assert out.returncode == 0


# --- the comparer, held to docs/conformance.md ------------------------------------------


def _recording(case: str = "write-holes-xfs") -> dict[str, Any]:
    document: dict[str, Any] = json.loads((CONFORMANCE_SUITE / f"{case}.expected.json").read_text())
    return document


def _step_with_extents(document: dict[str, Any]) -> dict[str, Any]:
    return next(
        step for step in document["steps"] if any(f["extents"] for f in step["files"].values())
    )


def test_a_recording_agrees_with_itself() -> None:
    assert compare_runs(_recording(), _recording()) == []


def test_layout_states_normalise_as_documented() -> None:
    real, simulated = _recording(), _recording()
    step = _step_with_extents(simulated)
    extents = [e for f in step["files"].values() for e in f["extents"]]
    # physical addresses are ignored; written and delalloc are both data ...
    for extent in extents:
        extent["physical"] = None if extent["state"] == "delalloc" else 123456789
        if extent["state"] in ("written", "delalloc"):
            extent["state"] = "delalloc" if extent["state"] == "written" else "written"
    assert compare_runs(real, simulated) == []
    # ... but unwritten stays unwritten, and sharing is compared.
    extents[0]["state"] = "unwritten"
    assert [d.what for d in compare_runs(real, simulated)] == ["layout"]
    extents[0]["state"] = "written"
    extents[0]["shared"] = True
    assert [d.what for d in compare_runs(real, simulated)] == ["layout"]


def test_preallocation_past_eof_is_not_compared() -> None:
    real, simulated = _recording(), _recording()
    step = _step_with_extents(simulated)
    name, info = next((n, f) for n, f in step["files"].items() if f["extents"])
    end = max(e["offset"] + e["length"] for e in info["extents"])
    blocksize = real["fs"]["blocksize"]
    eof = -(-info["size"] // blocksize) * blocksize
    info["extents"].append(
        {
            "offset": max(end, eof),
            "length": 1 << 20,
            "physical": None,
            "state": "unwritten",
            "shared": False,
        }
    )
    assert compare_runs(real, simulated) == [], name


# --- mapviz conformance: what a user sees ------------------------------------------------


def _suite_of(tmp_path: Path, *cases: str) -> Path:
    for case in cases:
        for suffix in (".scenario", ".expected.json"):
            shutil.copy(CONFORMANCE_SUITE / f"{case}{suffix}", tmp_path / f"{case}{suffix}")
    return tmp_path


def test_cli_reports_a_failing_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = _suite_of(tmp_path, "punch-xfs", "truncate-xfs")
    recording = suite / "truncate-xfs.expected.json"
    doctored = json.loads(recording.read_text())
    doctored["steps"][-1]["result"] = "EIO"
    recording.write_text(json.dumps(doctored))
    assert main(["conformance", str(suite)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "PASS punch-xfs"
    assert lines[1].startswith("FAIL truncate-xfs: line ")
    assert "result: real EIO, simulated ok" in lines[1]
    assert lines[-1] == "1 passed, 1 failed"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such directory"),
        ("empty", "no *.scenario files"),
        ("unrecorded", "no .expected.json beside lonely.scenario"),
    ],
)
def test_cli_bad_suites_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, message: str
) -> None:
    suite = tmp_path / "suite"
    if setup != "missing":
        suite.mkdir()
    if setup == "unrecorded":
        (suite / "lonely.scenario").write_text("%kernel mainline\nopen -f a\n")
    assert main(["conformance", str(suite)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and str(suite) in err


def test_cli_a_broken_recording_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _suite_of(tmp_path, "punch-xfs")
    (suite / "punch-xfs.expected.json").write_text("{not json")
    assert main(["conformance", str(suite)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ERROR punch-xfs: ") and "punch-xfs.expected.json" in out[0]
    assert out[-1] == "0 passed, 1 failed"


def test_cli_a_command_without_json_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _suite_of(tmp_path, "punch-xfs")
    assert main(["conformance", str(suite), "--cmd", "echo nothing here; exit 3"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ERROR punch-xfs: ") and "printed no JSON (exit 3" in out[0]


def test_cli_reads_runs_and_recordings_saved_with_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _suite_of(tmp_path, "punch-xfs", "truncate-xfs")
    for case in ("punch-xfs", "truncate-xfs"):
        recording = suite / f"{case}.expected.json"
        recording.write_text(json.dumps(only_changes_document(json.loads(recording.read_text()))))
    command = f"{sys.executable} -m mapviz run --json --changes {{}}"
    assert main(["conformance", str(suite), "--cmd", command]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "PASS punch-xfs",
        "PASS truncate-xfs",
        "2 passed, 0 failed",
    ]
    # A change left out of the recording is carried forward: the case fails, not passes.
    recording = suite / "truncate-xfs.expected.json"
    doctored = json.loads(recording.read_text())
    last = next(step for step in reversed(doctored["steps"]) if step["files"])
    last["files"] = {}
    recording.write_text(json.dumps(doctored))
    assert main(["conformance", str(suite), "--cmd", command]) == 1
    assert capsys.readouterr().out.splitlines()[1].startswith("FAIL truncate-xfs: ")
