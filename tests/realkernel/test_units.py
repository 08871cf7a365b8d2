"""The parts of ``mapviz run --real`` that need no root: refusals, driver, normaliser, report."""

from __future__ import annotations

import copy
import errno
import json
import os
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest

from mapviz.cli import main
from mapviz.core.simulation import Simulation
from mapviz.errors import MapvizError, ScenarioError
from mapviz.realkernel import RealRun, check_runnable, compare_runs, pair_steps, support
from mapviz.realkernel.normalise import Segment, describe, normalise
from mapviz.realkernel.recorder import RealProcess, swap_header, xfs_io_line
from mapviz.realkernel.sidebyside import MARK, side_by_side
from mapviz.realkernel.xfsio import XfsIo, classify, credentials_argv, errno_name
from mapviz.report.json_report import run_json
from mapviz.scenario import CAPABILITIES, Command, FsConfig, parse_line, parse_scenario
from tests.conftest import CONFORMANCE_SUITE as SUITE

MAINLINE = "%kernel mainline\n%fs xfs\n"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "case.scenario"
    path.write_text(text)
    return str(path)


# --- what the real kernel refuses ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("open -f a\n%extent 0 4k\n", 4, "%extent"),
        ("open -f a\n%sleep 5\n", 4, "%sleep"),
        ("%lease-break-time 5\nopen -f a\n", 3, "%lease-break-time"),
        ("open -f a\nmmap -P 0 4k\n", 4, "mmap -P"),
        ("mmap -A 4k\n", 3, "mmap -A"),
    ],
)
def test_directives_without_a_real_equivalent_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, body: str, line: int, words: str
) -> None:
    path = _write(tmp_path, MAINLINE + body)
    status, out, err = _cli(capsys, "run", "--real", path)
    assert status == 2 and out == ""
    assert err.startswith(f"{path}:{line}: {words}")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "argv", "words"),
    [
        ("%kernel map-direct-v5\nopen -f a\n", [], 'kernel model "map-direct-v5"'),
        ("%fs xfs dax\nopen -f a\n", ["--kernel", "mainline"], "dax"),
        ("%kernel mainline\nopen -f a\n", ["--kernel", "map-sync"], 'kernel model "map-sync"'),
        ("%kernel mainline\n%fs xfs size=8g\nopen -f a\n", [], "size="),
    ],
)
def test_models_dax_and_huge_devices_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, argv: list[str], words: str
) -> None:
    status, out, err = _cli(capsys, "run", "--real", *argv, _write(tmp_path, text))
    assert status == 2 and out == ""
    assert words in err and "real kernel" in err
    assert len(err.strip().splitlines()) == 1


def test_kernel_mainline_overrides_the_scenario_model() -> None:
    scenario = parse_scenario("%kernel map-direct-v5\nopen -f a\nmmap -D 0 4k\n")
    with pytest.raises(ScenarioError):
        check_runnable(scenario)
    check_runnable(scenario, "mainline")
    with pytest.raises(MapvizError, match="map-sync"):
        check_runnable(scenario, "map-sync")


def test_not_root_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    status, out, err = _cli(capsys, "run", "--real", _write(tmp_path, MAINLINE + "open -f a\n"))
    assert (status, out) == (2, "")
    assert (
        err == "mapviz run --real: needs root (it makes, loop-mounts and swapons a test "
        "filesystem)\n"
    )


def test_no_loop_devices_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(support, "LOOP_CONTROL", str(tmp_path / "no-loop-control"))
    status, _, err = _cli(capsys, "run", "--real", _write(tmp_path, MAINLINE + "open -f a\n"))
    assert status == 2
    assert "no loop devices here" in err and len(err.splitlines()) == 1


def test_missing_tools_are_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    (tmp_path / "loop-control").touch()
    monkeypatch.setattr(support, "LOOP_CONTROL", str(tmp_path / "loop-control"))
    real_which = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name: None if name in ("xfs_io", "setpriv") else real_which(name)
    )
    text = MAINLINE + "open -f a\n%proc bob uid=1000\n"
    status, _, err = _cli(capsys, "run", "--real", _write(tmp_path, text))
    assert status == 2
    assert "xfs_io, setpriv not found (install util-linux, xfsprogs)" in err


def test_a_bad_script_is_caught_before_anything_is_mounted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The simulator runs first: a malformed line is a scenario error, exit 2.
    monkeypatch.setattr("mapviz.realkernel.runner.check_machine", lambda scenario: None)

    def no_recording(scenario: object) -> None:
        raise AssertionError("the real kernel must not be touched")

    monkeypatch.setattr("mapviz.realkernel.runner.record", no_recording)
    status, _, err = _cli(
        capsys, "run", "--real", _write(tmp_path, MAINLINE + "open -f a\npwrite 0 4q\n")
    )
    assert status == 2 and ":4:" in err


# --- the xfs_io driver --------------------------------------------------------------


def test_command_lines_for_xfs_io() -> None:
    def line(text: str, blocksize: int = 4096) -> str:
        command = parse_line(text, fs=FsConfig(blocksize=blocksize))
        assert isinstance(command, Command)
        return xfs_io_line(command)

    assert line("pwrite -S 0x61 -b 8k 0 2b", 1024) == "pwrite -S 97 -b 8192 0 2048"
    assert line("mmap -D 0 64k") == "mmap 0 65536"
    assert line("mmap -rwD 4k 8k") == "mmap -rw 4096 8192"
    assert line("mmap -S 0 4k") == "mmap -S 0 4096"
    assert line("open -f dir/data") == "open -f dir/data"
    assert line("chattr +i") == "chattr +i"
    assert line("falloc -k 0 1m") == "falloc -k 0 1048576"
    assert line("reflink a 0 4k 4k") == "reflink a 0 4096 4096"
    # File names go through the spelling (the testbed's links); chattr's word does not.
    spelled = parse_line("reflink 'my file' 0 4k 4k")
    assert isinstance(spelled, Command)
    assert (
        xfs_io_line(spelled, lambda name: f"/links/{len(name)}") == "reflink /links/7 0 4096 4096"
    )
    chattr = parse_line("chattr -i")
    assert isinstance(chattr, Command)
    assert xfs_io_line(chattr, lambda name: 1 / 0) == "chattr -i"  # type: ignore[arg-type,return-value]


def test_results_are_read_from_perror_lines() -> None:
    assert classify(["fallocate: Operation not supported"]) == (
        "EOPNOTSUPP",
        "fallocate: Operation not supported",
    )
    assert classify(["mmap: Resource temporarily unavailable"])[0] == "EAGAIN"
    assert classify(["read 4096/4096 bytes at offset 0", "4 KiB, 1 ops"]) == ("ok", None)
    assert errno_name(errno.ENOTTY) == "ENOTTY"
    assert errno_name(9999) == "E9999"


def test_credentials() -> None:
    assert credentials_argv(0, CAPABILITIES) == []
    assert credentials_argv(0, frozenset()) == [
        "setpriv",
        "--inh-caps=-all",
        "--ambient-caps=-all",
        "--bounding-set=-all",
        "--",
    ]
    assert credentials_argv(0, frozenset({"linux_immutable"}))[-2] == (
        "--bounding-set=-all,+linux_immutable"
    )
    assert credentials_argv(1000, frozenset({"sys_admin"}))[1:6] == [
        "--reuid=1000",
        "--regid=1000",
        "--clear-groups",
        "--inh-caps=-all,+sys_admin",
        "--ambient-caps=-all,+sys_admin",
    ]


def test_swap_header_is_mkswaps() -> None:
    page = os.sysconf("SC_PAGE_SIZE")
    header = swap_header(10 * page + 100)
    assert len(header) == page
    assert header.endswith(b"SWAPSPACE2")
    assert struct.unpack_from("=III", header, 1024) == (1, 9, 0)
    assert swap_header(10 * page) == header  # deterministic


def test_tables_follow_xfs_ios_rules() -> None:
    process = RealProcess("app", 0, CAPABILITIES)
    for text in ("open -f a", "open -f b", "open -r c", "file 1", "close"):
        command = parse_line(text)
        assert isinstance(command, Command)
        process.track(command)
    # close removes the current file; the one that takes its index is current.
    assert [f.path for f in process.files] == ["a", "c"] and process.current == 1
    for text in ("mmap 0 4k", "mmap -rD 0 8k", "mmap -r 0 12k", "mmap 2", "munmap"):
        command = parse_line(text)
        assert isinstance(command, Command)
        process.track(command)
    assert [(m.flags, m.length) for m in process.maps] == [("", 4096), ("r", 8192)]
    assert process.current_map == 1 and process.maps[0].open_flags == "r"


@pytest.fixture()
def xfs_io_dir(tmp_path: Path) -> Path:
    if shutil.which("xfs_io") is None:
        pytest.skip("xfs_io is not installed (xfsprogs)")
    return tmp_path


def test_driver_reports_results_in_order(xfs_io_dir: Path) -> None:
    io = XfsIo(str(xfs_io_dir))
    try:
        assert io.run("open -f data").lines == ()
        reply = io.run("pwrite 0 8192")
        assert reply.lines[0] == "wrote 8192/8192 bytes at offset 0" and not reply.died
        assert classify(io.run("fpunch 0 0").lines) == ("EINVAL", "fallocate: Invalid argument")
        assert io.run("file 5").lines == ("value 5 is out of range (0-0)",)
    finally:
        io.quit()
    assert not io.alive


def test_driver_survives_xfs_io_dying_without_a_core_file(xfs_io_dir: Path) -> None:
    io = XfsIo(str(xfs_io_dir))
    try:
        io.run("open -f data")
        io.run("truncate 4096")
        io.run("mmap 0 65536")
        reply = io.run("mread 32768 4096")  # wholly past EOF: SIGBUS
    finally:
        io.kill()
    assert reply.died and reply.death == "SIGBUS"
    assert sorted(os.listdir(xfs_io_dir)) == ["data"], "no core file"


def test_driver_times_out(xfs_io_dir: Path) -> None:
    from mapviz.realkernel.errors import OracleFailureError

    # xfs_io has no command that blocks: stand a silent process in for it.
    io = XfsIo(str(xfs_io_dir), prefix=["sh", "-c", "exec sleep 30"], timeout=0.3)
    try:
        with pytest.raises(OracleFailureError, match="did not answer"):
            io.run("print")
    finally:
        io.kill()


# --- the normaliser and the comparison ----------------------------------------------


def _suite_docs() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(SUITE.glob("*.expected.json"))]


def vars_of(segment: Segment) -> tuple[int, int, str, bool]:
    return (segment.start, segment.end, segment.state, segment.shared)


def test_clipping_merging_and_states() -> None:
    extents = [
        {"offset": 0, "length": 4096, "state": "written", "shared": False},
        {"offset": 4096, "length": 4096, "state": "delalloc", "shared": False},
        {"offset": 8192, "length": 4096, "state": "written", "shared": True},
        {"offset": 16384, "length": 1 << 20, "state": "unwritten", "shared": False},
    ]
    layout = normalise(20000, extents, 4096)
    assert layout == (
        Segment(0, 8192, "data", False),
        Segment(8192, 12288, "data", True),
        Segment(16384, 20480, "unwritten", False),
    )
    assert describe(layout, 20000, 4096) == (
        "[0,8k) data, [8k,12k) data shared, [12k,16k) hole, [16k,20k) unwritten"
    )


def _mainline_doc(case: str = "punch-xfs") -> dict[str, Any]:
    from mapviz.scenario import load_scenario

    scenario = load_scenario(str(SUITE / f"{case}.scenario"))
    return run_json(Simulation.from_scenario(scenario), scenario)


def test_divergences_are_found_as_the_suite_documents() -> None:
    for doc in _suite_docs():
        assert compare_runs(doc, doc) == []
        assert compare_runs(doc, json.loads(json.dumps(doc))) == []
    real = next(d for d in _suite_docs() if d["scenario"] == "punch-xfs")
    changed = copy.deepcopy(real)
    changed["steps"][2]["result"] = "EIO"
    changed["steps"][3]["files"]["data"]["extents"][0]["state"] = "unwritten"
    changed["steps"][4]["files"]["data"]["size"] += 1
    del changed["steps"][5]["files"]["data"]
    del changed["steps"][6]
    found = compare_runs(real, changed)
    assert [(d.line, d.what) for d in found] == [
        (6, "result"),
        (8, "layout"),
        (10, "size"),
        (12, "file"),
        (14, "step"),
    ]
    assert str(found[0]) == "line 6 `fsync`: result: real ok, simulated EIO"


def test_side_by_side_marks_every_divergence() -> None:
    simulated = _mainline_doc()
    real = copy.deepcopy(simulated)
    for step in real["steps"]:
        step["events"] = []
    real["oracle"] = {"kernel_release": "6.18", "xfs_io": "6.1.0"}
    real["steps"][8]["result"], real["steps"][8]["why"] = "ok", None
    real["steps"][3]["files"]["data"]["extents"] = []
    run = RealRun(real, simulated, tuple(pair_steps(real, simulated)))
    text = list(side_by_side(run))
    marked = [line for line in text if line.startswith(MARK)]
    assert len(marked) == 2
    assert "fpunch 4k 4k" in marked[0] and "fpunch 0 0" in marked[1]
    assert any("data layout, real:      [0,64k) hole" in line for line in text)
    assert any(line.strip() == "why, real:      -" for line in text)
    assert any(line.strip().startswith("why, simulated: fpunch") for line in text)
    assert text[-1] == "10 steps: 2 diverge from the simulator (line 8, 18)"
    agreeing = RealRun(simulated, simulated, tuple(pair_steps(simulated, simulated)))
    assert list(side_by_side(agreeing))[-1] == "10 steps: every step agrees with the simulator"
    assert not any(line.startswith(MARK) for line in side_by_side(agreeing))


def test_exit_status_is_1_when_a_step_diverges(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    simulated = _mainline_doc()
    real = copy.deepcopy(simulated)
    real["steps"][-1]["result"] = "EIO"
    run = RealRun(real, simulated, tuple(pair_steps(real, simulated)))
    monkeypatch.setattr("mapviz.cli.real.run_real", lambda scenario, **options: run)
    status, out, _ = _cli(capsys, "run", "--real", str(SUITE / "punch-xfs.scenario"))
    assert status == 1
    assert out.splitlines()[-1] == "10 steps: 1 diverge from the simulator (line 20)"
    status, out, err = _cli(capsys, "run", "--real", "--json", str(SUITE / "punch-xfs.scenario"))
    assert status == 1 and json.loads(out)["steps"][-1]["result"] == "EIO"
    assert err.strip().endswith("line 20 `fsync`: result: real EIO, simulated ok")
