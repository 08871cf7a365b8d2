"""Fixtures for the real-kernel tests: can this machine run them, and what must not be left."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from mapviz.errors import MapvizError
from mapviz.realkernel.support import machine_problem
from mapviz.realkernel.testbed import Testbed, loop_backing_files, mounts_under
from mapviz.scenario import FsConfig


@pytest.fixture(scope="session")
def real_kernel() -> None:
    """Skip (with the reason) unless root, loop devices, xfsprogs and e2fsprogs work here.

    Having /dev/loop-control is not enough in some containers: one small
    XFS is actually made, mounted and removed once per session.
    """
    reason = machine_problem("xfs") or machine_problem("ext4", setpriv=True)
    if reason:
        pytest.skip(f"real kernel not usable: {reason}")
    try:
        with Testbed(FsConfig("xfs", 4096, 16 << 20), "probe"):
            pass
    except MapvizError as error:
        pytest.skip(f"real kernel not usable: {error}")


def xfs_io_children() -> list[int]:
    """xfs_io processes started by this test process and still there (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as status:
                text = status.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after ")".
        comm = text[text.index("(") + 1 : text.rindex(")")]
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        if comm == "xfs_io" and ppid == os.getpid():
            found.append(int(entry))
    return found


def left_behind(root: str) -> list[str]:
    """What of testbed directory ``root`` is still on the machine."""
    prefix = root.rstrip("/") + "/"
    found = [f"mount {m}" for m in mounts_under(prefix)]
    found += [f"loop device on {f}" for f in loop_backing_files(prefix)]
    with open("/proc/swaps", encoding="utf-8") as swaps:
        found += [
            f"swapfile {line.split()[0]}"
            for line in swaps.read().splitlines()[1:]
            if line.startswith(prefix)
        ]
    if os.path.exists(root):
        found.append(f"directory {root}")
    return found


@pytest.fixture()
def testbeds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The directories of the testbeds the test makes; afterwards, assert none left a trace.

    Only this test's own testbeds are checked, so another test run on the
    machine at the same time cannot make this one fail.
    """
    roots: list[str] = []
    setup = Testbed.setup

    def recording_setup(self: Testbed) -> None:
        try:
            setup(self)
        finally:
            if self.root is not None:
                roots.append(self.root)

    monkeypatch.setattr(Testbed, "setup", recording_setup)
    yield roots
    monkeypatch.undo()
    traces = [trace for root in roots for trace in left_behind(root)]
    assert not traces, f"left behind: {traces}"
    assert not xfs_io_children(), "xfs_io processes left running"
