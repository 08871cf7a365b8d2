"""``mapviz run`` and ``mapviz scenarios`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mapviz.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_transcript_speaks_xfs_io(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "run", "pinned-block-map")
    assert status == 0
    assert "fallocate: Text file busy" in out
    assert "why: fpunch would free blocks" in out
    assert "sealed by a MAP_DIRECT mapping of app at 0x7f0000000000" in out
    assert "swapext: Invalid argument" in out


def test_transcript_prints_fiemap_tables(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "run", "block-map-states")
    assert status == 0
    assert "EXT: FILE-OFFSET      BLOCK-RANGE      TOTAL FLAGS" in out


def test_json_is_schema_1(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "run", "--json", "lease-release-in-time")
    assert status == 0
    doc = json.loads(out)
    assert {"schema", "scenario", "kernel", "fs", "ok", "steps"} <= set(doc)
    assert doc["schema"] == 1 and doc["ok"] is True and doc["kernel"] == "map-direct-lease"
    assert set(doc["fs"]) >= {"type", "blocksize", "size", "dax"}
    commands = [s["command"] for s in doc["steps"]]
    assert not any(c.startswith("%sleep") for c in commands), "directives are not steps"
    for step in doc["steps"]:
        assert {"line", "command", "process", "file", "result", "why", "events", "files"} <= set(
            step
        )
        assert (step["why"] is None) == (step["result"] == "ok"), step
        for view in step["files"].values():
            for extent in view["extents"]:
                assert extent["state"] in ("written", "unwritten", "delalloc")
                assert (extent["physical"] is None) == (extent["state"] == "delalloc")
        for event in step["events"]:
            assert event["kind"] and event["why"]


def test_kernel_override_and_failed_expectation(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(capsys, "run", "--kernel", "mainline", "hole-sigbus")
    assert status == 1
    assert "kernel mainline" in out
    assert "hole-sigbus.scenario:27: expected SIGBUS, got ok (`mwrite 64k 4k`)" in err


def test_scenarios_lists_titles(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "scenarios")
    assert status == 0
    lines = out.splitlines()
    assert len(lines) >= 15
    assert any(line.startswith("hole-sigbus") and "SIGBUS" in line for line in lines)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("open -f data\npwrtie 0 4k\n", 'bad.scenario:2: unknown command "pwrtie"'),
        ("open -f data\npwrite 0 4q\n", "bad.scenario:2:"),
        ("%fs xfs blocksize=1k dax\nopen -f d\n", "bad.scenario: DAX needs the block size"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "bad.scenario"
    path.write_text(text)
    status = main(["run", str(path)])
    _, err = capsys.readouterr()
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.replace(str(tmp_path) + "/", "").startswith(message), err
    assert path.read_text() == text, "the user's file must not change"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("mread 0 4k", "no mapped regions, try 'help mmap'"),
        ("pwrite 0 4k", "no files are open, try 'help open'"),
        ("file 3", "no files are open, try 'help open'"),
        ("open -f d\nfile 3", "value 3 is out of range (0-0)"),
        ("open -f d\nmmap 2", "no mapped regions, try 'help mmap'"),
        ("open -f d\nmmap 0 4k\nmmap 2", "value 2 is out of range (0-0)"),
        ("open -f d\nmmap 0 4k\nmread 8k 4k", "offset (8192) is beyond end of mapping (0)"),
        ("open -f d\nmmap 4k 4k\nmread 0 4k", "offset (0) is before start of mapping (4096)"),
        ("open -f d\nmmap 0 8k\nmwrite 4k 8k", "range (4096:4096) is beyond mapping (0:8192)"),
        ("open -f d\nmmap 0 4k\nmunmap\nmsync", "no mapped regions, try 'help mmap'"),
        ("open -f d\nclose\nmmap 0 4k", "no files are open, try 'help open'"),
        ("open -f d\nclose\n%swapon", "no files are open, try 'help open'"),
    ],
)
def test_commands_xfs_io_would_not_issue_are_skipped_steps(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, text: str, why: str
) -> None:
    """xfs_io prints its own message and goes on: a skipped step, and the scenario goes on."""
    _stdin(monkeypatch, f"%kernel mainline\n{text}\n%expect skipped\nopen -f after\n")
    status, out, err = run_cli(capsys, "run", "--json", "-")
    assert (status, err) == (0, "")
    *_, refused, after = json.loads(out)["steps"]
    assert (refused["result"], refused["why"]) == ("skipped", why)
    assert after["result"] == "ok"
    _stdin(monkeypatch, f"%kernel mainline\n{text}\n")
    _, out, _ = run_cli(capsys, "run", "-")
    assert f"       {why}" in out.splitlines()  # printed as xfs_io prints it


def test_missing_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_cli(capsys, "run", "no-such-thing")
    assert status == 2 and err.count("\n") == 1 and "no-such-thing" in err


def test_console_script_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mapviz", "run", "--brief", "tour"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "A tour" in out.stdout


def test_json_changes_lists_changed_files_only(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "run", "--json", "--changes", "pinned-block-map")
    assert status == 0
    doc = json.loads(out)
    assert doc["schema"] == 1 and doc["changes"] is True
    listed = [list(step["files"]) for step in doc["steps"]]
    assert listed[0] and [] in listed  # the first step lists every file; some list none


def test_changes_needs_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(capsys, "run", "--changes", "pinned-block-map")
    assert status == 2 and not out
    assert err == "mapviz run: --changes needs --json\n"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


def test_run_dash_reads_the_scenario_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, "%kernel mainline\nopen -f 'd\u00e4t\u00e4 1'\npwrite 0 4k\n%expect ok\n")
    status, out, _ = run_cli(capsys, "run", "--json", "-")
    assert status == 0
    document = json.loads(out)
    assert document["scenario"] == "stdin"
    assert list(document["steps"][-1]["files"]) == ["d\u00e4t\u00e4 1"]
    _stdin(monkeypatch, "open -f x\npwrtie 0 4k\n")
    status, _, err = run_cli(capsys, "run", "-")
    assert (status, err) == (2, '<stdin>:2: unknown command "pwrtie" (did you mean "pwrite"?)\n')
    _stdin(monkeypatch, "open -f x\n")
    assert run_cli(capsys, "picture", "-")[0] == 0


def test_no_arguments_prints_usage_and_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(capsys)
    assert status == 2 and out == ""
    assert err.startswith("usage: mapviz")
    for command in ("run", "compare", "picture", "export", "serve", "conformance"):
        assert f"\n    {command} " in err or f"\n    {command}\n" in err
