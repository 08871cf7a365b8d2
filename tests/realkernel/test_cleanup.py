"""Nothing is left behind: no mount, loop device, image, active swapfile or xfs_io.

Each test makes the run end a different way -- normally, by an error in the
middle, by Ctrl-C, by SIGTERM, by a second Ctrl-C during the cleanup -- with
a swapfile active and a mapping live, and the ``testbeds`` fixture checks
the machine afterwards.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from mapviz.cli import main
from mapviz.realkernel import run_real
from mapviz.realkernel.recorder import Recorder
from mapviz.realkernel.testbed import Interrupted, Testbed, active_swapfiles, is_mounted
from mapviz.realkernel.xfsio import Reply, XfsIo
from mapviz.scenario import Command, FsConfig, parse_scenario

pytestmark = [pytest.mark.kernel, pytest.mark.usefixtures("real_kernel")]

BUSY = """\
%kernel mainline
%fs xfs
open -f swap
falloc 0 64k
mmap 0 64k
%swapon
%expect ok
mread 0 64k
%proc other
open -f spare
pwrite 0 4k
"""


def _scenario(tmp_path: Any) -> str:
    path = tmp_path / "busy.scenario"
    path.write_text(BUSY)
    return str(path)


def test_a_normal_run_leaves_nothing(tmp_path: Any, testbeds: list[str]) -> None:
    run = run_real(parse_scenario(BUSY, source="busy"))
    assert run.agrees
    assert [p.real["result"] for p in run.pairs if p.real] == ["ok"] * 7
    assert len(testbeds) == 1


def test_an_error_after_swapon_cleans_up(
    monkeypatch: pytest.MonkeyPatch, testbeds: list[str]
) -> None:
    step = Recorder._step
    seen: dict[str, bool] = {}

    def failing_step(self: Recorder, command: Command) -> dict[str, Any]:
        result = step(self, command)
        if command.name == "swapon":
            seen["swapon"] = bool(active_swapfiles(self.testbed.mnt))
            seen["mounted"] = is_mounted(self.testbed.mnt)
            raise RuntimeError("boom")
        return result

    monkeypatch.setattr(Recorder, "_step", failing_step)
    with pytest.raises(RuntimeError, match="boom"):
        run_real(parse_scenario(BUSY, source="busy"))
    assert seen == {"swapon": True, "mounted": True}


def test_ctrl_c_in_the_middle_cleans_up(
    monkeypatch: pytest.MonkeyPatch, testbeds: list[str]
) -> None:
    run = XfsIo.run

    def interrupted_run(self: XfsIo, line: str) -> Reply:
        if line.startswith("mread"):
            raise KeyboardInterrupt
        return run(self, line)

    monkeypatch.setattr(XfsIo, "run", interrupted_run)
    with pytest.raises(KeyboardInterrupt):
        run_real(parse_scenario(BUSY, source="busy"))
    assert testbeds


def test_sigterm_unwinds_and_cleans_up(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
    testbeds: list[str],
) -> None:
    run = XfsIo.run

    def terminated_run(self: XfsIo, line: str) -> Reply:
        if line.startswith("pwrite"):
            os.kill(os.getpid(), signal.SIGTERM)
        return run(self, line)

    monkeypatch.setattr(XfsIo, "run", terminated_run)
    status = main(["run", "--real", _scenario(tmp_path)])
    assert status == 128 + signal.SIGTERM
    assert "interrupted by SIGTERM" in capsys.readouterr().err
    # The handler is only installed for the run.
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_second_ctrl_c_waits_for_the_cleanup(testbeds: list[str]) -> None:
    def interrupt_during_cleanup() -> None:
        os.kill(os.getpid(), signal.SIGINT)  # held off until the cleanup is done

    with pytest.raises(KeyboardInterrupt), Testbed(FsConfig("ext4"), "twice") as testbed:
        testbed.on_cleanup(interrupt_during_cleanup)
        raise KeyboardInterrupt
    assert testbed.root is None


def test_testbed_is_fresh_and_open_to_other_users(testbeds: list[str]) -> None:
    with Testbed(FsConfig("xfs", 1024, 32 << 20, reflink=False), "fresh") as testbed:
        assert is_mounted(testbed.mnt)
        assert os.listdir(testbed.mnt) == []
        assert os.stat(testbed.mnt).st_mode & 0o7777 == 0o1777
        # Other users must reach the mount point through the private directory.
        assert os.stat(os.path.dirname(testbed.mnt)).st_mode & 0o111 == 0o111
        assert "reflink=0" in " ".join(testbed.mkfs)
    assert len(testbeds) == 1


def test_interrupted_is_raised_by_sigterm_only_inside_a_run() -> None:
    from mapviz.realkernel.testbed import termination_unwinds

    with pytest.raises(Interrupted) as caught, termination_unwinds():
        os.kill(os.getpid(), signal.SIGTERM)
    assert caught.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
