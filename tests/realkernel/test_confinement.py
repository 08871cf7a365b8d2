"""A hostile scenario run with ``--real`` (as root) never touches a file outside its own mount.

Two fences: the parser refuses names that could leave the filesystem
(``mapviz.scenario.names``), and the real runner checks every name again
where it builds a path (``Testbed.path``, which ``xfs_io_path`` goes
through), so a scenario built without the parser is stopped too.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pytest

from mapviz.cli import main
from mapviz.errors import MapvizError
from mapviz.realkernel import run_real
from mapviz.realkernel.testbed import ConfinementError, Testbed, confined
from mapviz.scenario import Command, FsConfig, Scenario

HOSTILE_NAMES = (
    "../fs.img",
    "../../outside",
    "a/../../fs.img",
    "/etc/passwd",
    "names/../../fs.img",
    "x\x00y",
    "a\\/b",
    "-f",
)


def _fingerprint(path: Path) -> tuple[str, float, int]:
    data = path.read_bytes()
    status = path.stat()
    return hashlib.sha256(data).hexdigest(), status.st_mtime, status.st_size


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_path_builder_refuses_names_that_leave_the_mount(name: str) -> None:
    with pytest.raises(ConfinementError):
        confined("/tmp/testbed/mnt", name)


def test_the_path_builder_refuses_a_symbolic_link_on_the_way(tmp_path: Path) -> None:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    (mnt / "up").symlink_to(tmp_path)
    assert confined(str(mnt), "dir/file") == str(mnt / "dir" / "file")
    with pytest.raises(ConfinementError, match="symbolic link"):
        confined(str(mnt), "up/fs.img")


@pytest.mark.kernel
@pytest.mark.usefixtures("real_kernel")
def test_a_hostile_scenario_file_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], testbeds: list[str]
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me\n")
    before = _fingerprint(victim)
    for name in (str(victim), "../victim", "../../" * 8 + str(victim).lstrip("/")):
        scenario = tmp_path / "hostile.scenario"
        scenario.write_text(f"%kernel mainline\n%fs xfs\nopen -f '{name}'\npwrite 0 4k\n")
        status = main(["run", "--real", str(scenario)])
        _, err = capsys.readouterr()
        assert status == 2
        assert "hostile.scenario:3: open: bad path" in err
    assert _fingerprint(victim) == before
    assert testbeds == []  # refused before any image was made


@pytest.mark.kernel
@pytest.mark.usefixtures("real_kernel")
@pytest.mark.parametrize("how", ["absolute", "dotdot", "reflink-source"])
def test_a_scenario_built_without_the_parser_is_stopped_by_the_runner(
    how: str, tmp_path: Path, testbeds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"\xcd" * 4096)
    os.chmod(victim, 0o666)
    before = _fingerprint(victim)
    # Put the testbed beside the victim, so "../victim" from the mount points at it.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    name = {"absolute": str(victim), "dotdot": "../../victim", "reflink-source": "../../victim"}
    commands: list[Command] = [Command(3, "open -f data", "open", "f", (), ("data",))]
    if how == "reflink-source":
        commands.append(Command(4, "reflink x", "reflink", "", (), (name[how],)))
    else:
        commands.append(Command(4, "open -f x", "open", "f", (), (name[how],)))
        commands.append(Command(5, "pwrite 0 64k", "pwrite", "", (), (0, 65536)))
    scenario = Scenario(
        name="hostile",
        source="hostile",
        text="",
        title="hostile",
        kernel="mainline",
        fs=FsConfig("xfs", 4096, 16 << 20),
        items=tuple(commands),
    )
    with pytest.raises(MapvizError, match=r"refused a file name|not inside"):
        run_real(scenario)
    assert _fingerprint(victim) == before
    assert len(testbeds) == 1  # the testbed was made, and removed (the fixture checks)


@pytest.mark.kernel
@pytest.mark.usefixtures("real_kernel")
def test_names_xfs_io_cannot_take_go_through_a_link_inside_the_testbed(
    testbeds: list[str],
) -> None:
    with Testbed(FsConfig("xfs", 4096, 16 << 20), "names") as testbed:
        assert testbed.xfs_io_path("plain") == "plain"
        alias = testbed.xfs_io_path("my d\u00e4t\u00e4")
        assert " " not in alias and alias.isascii()
        assert os.readlink(alias) == testbed.path("my d\u00e4t\u00e4")
        assert testbed.xfs_io_path("my d\u00e4t\u00e4") == alias  # made once
        with pytest.raises(ConfinementError):
            testbed.xfs_io_path("../fs.img")
