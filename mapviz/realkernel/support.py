"""What the real kernel can run, and whether this machine can run it.

Two separate questions, asked before anything is made or mounted:

* :func:`check_runnable` -- can *this scenario* run on a real Linux at all?
  Only the ``mainline`` model is what Linux does; ``%extent`` (a real
  filesystem cannot be told where to put a block), ``%sleep`` and
  ``%lease-break-time`` (lease-model time), ``mmap -P`` (xfs_io has no
  MAP_PRIVATE), ``mmap -A`` (nor anonymous mappings) and ``%fs ... dax``
  (there is no DAX device to test on) are refused, naming the line.
* :func:`check_machine` -- can *this machine* run it?  Root (mkfs, mount,
  swapon), ``/dev/loop-control``, and the programs the scenario needs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable

from mapviz.errors import MapvizError, ScenarioError
from mapviz.realkernel.errors import RealKernelUnavailableError
from mapviz.scenario.numbers import short_bytes
from mapviz.scenario.syntax import (
    Command,
    ExtentSpec,
    FsConfig,
    LeaseBreakTime,
    Proc,
    Scenario,
    Sleep,
)

REAL_MODEL = "mainline"
LOOP_CONTROL = "/dev/loop-control"
MAX_IMAGE = 4 << 30
"""Largest ``%fs size=`` run for real: the image is sparse, but mkfs still writes metadata."""

_MKFS = {"xfs": "mkfs.xfs", "ext4": "mkfs.ext4"}
_ALWAYS = ("xfs_io", "mount", "umount", "losetup")


def check_runnable(scenario: Scenario, kernel: str | None = None) -> None:
    """Raise if the real kernel cannot run ``scenario`` (under ``kernel``, if overridden).

    Raises
    ------
    MapvizError
        ``--kernel`` names a model other than mainline.
    ScenarioError
        The scenario's model is not mainline, it asks for DAX or a device
        too large, or a line uses something with no real-kernel equivalent
        (``FILE:LINE: message``).
    """
    if kernel is not None and kernel != REAL_MODEL:
        raise MapvizError(
            f'mapviz run --real: kernel model "{kernel}" cannot run on a real kernel; '
            f"only {REAL_MODEL} is what Linux does today"
        )
    source = scenario.source
    if kernel is None and scenario.kernel != REAL_MODEL:
        raise ScenarioError(
            source,
            directive_line(scenario, "%kernel"),
            f'kernel model "{scenario.kernel}" cannot run on a real kernel; only '
            f"{REAL_MODEL} is what Linux does today (add `%kernel {REAL_MODEL}`, "
            f"or pass --kernel {REAL_MODEL})",
        )
    _check_fs(scenario.fs, source, directive_line(scenario, "%fs"))
    for item in scenario.items:
        problem = _item_problem(item)
        if problem is not None:
            raise ScenarioError(source, item.line, problem)


def directive_line(scenario: Scenario, directive: str) -> int:
    """The line of the first ``directive`` (``%fs``) in the scenario's text, or 0.

    The parsed scenario keeps the header's values but not its lines; an
    error should still say FILE:LINE.

    >>> from mapviz.scenario import parse_scenario
    >>> directive_line(parse_scenario("%title t\\n%fs ext4\\nopen -f a\\n"), "%fs")
    2
    """
    for number, text in enumerate(scenario.text.splitlines(), start=1):
        words = text.split()
        if words and words[0] == directive:
            return number
    return 0


def _check_fs(fs: FsConfig, source: str, line: int) -> None:
    if fs.dax:
        raise ScenarioError(
            source,
            line,
            "%fs ... dax: this machine has no DAX-capable device (pmem, fsdax), so a DAX "
            "scenario cannot run on the real kernel here",
        )
    if fs.size > MAX_IMAGE:
        raise ScenarioError(
            source,
            line,
            f"%fs size={short_bytes(fs.size)}: the real kernel runs get at most a "
            f"{short_bytes(MAX_IMAGE)} image (it lives in the temporary directory)",
        )


def _item_problem(item: object) -> str | None:
    """Why one scenario item has no real-kernel equivalent, or None."""
    if isinstance(item, ExtentSpec):
        return (
            "%extent places an extent by hand; a real filesystem cannot be told where a block goes"
        )
    if isinstance(item, Sleep):
        return "%sleep only has a meaning for the lease model; mainline has no lease timers"
    if isinstance(item, LeaseBreakTime):
        return "%lease-break-time only has a meaning for the lease model"
    if isinstance(item, Command) and item.name == "mmap":
        if "P" in item.flags:
            return "mmap -P (MAP_PRIVATE) has no xfs_io equivalent; it cannot run for real"
        if "A" in item.flags:
            return "mmap -A (anonymous memory) has no xfs_io equivalent; it cannot run for real"
    return None


def needs_setpriv(items: Iterable[object]) -> bool:
    """Whether some ``%proc`` runs with other credentials than root with every capability."""
    return any(
        isinstance(item, Proc) and (bool(item.uid) or item.caps is not None) for item in items
    )


def check_machine(scenario: Scenario) -> None:
    """Raise :class:`RealKernelUnavailableError` if this machine cannot run ``scenario``.

    Needs root (mkfs, mount, swapon), loop devices, ``mkfs.xfs`` or
    ``mkfs.ext4`` for the scenario's ``%fs``, ``xfs_io``, ``mount``,
    ``umount``, ``losetup``, and ``setpriv`` when a ``%proc`` drops privileges.
    """
    reason = machine_problem(scenario.fs.type, needs_setpriv(scenario.items))
    if reason is not None:
        raise RealKernelUnavailableError(f"mapviz run --real: {reason}")


def machine_problem(fs_type: str = "xfs", setpriv: bool = False) -> str | None:
    """Why this machine cannot run a real scenario on ``fs_type``, or None if it can.

    >>> machine_problem("xfs") is None or isinstance(machine_problem("xfs"), str)
    True
    """
    if os.geteuid() != 0:
        return "needs root (it makes, loop-mounts and swapons a test filesystem)"
    if not os.path.exists(LOOP_CONTROL):
        return f"no loop devices here ({LOOP_CONTROL} is missing)"
    tools = [_MKFS[fs_type], *_ALWAYS, *(["setpriv"] if setpriv else [])]
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        package = {"mkfs.xfs": "xfsprogs", "xfs_io": "xfsprogs", "mkfs.ext4": "e2fsprogs"}
        wanted = sorted({package.get(tool, "util-linux") for tool in missing})
        return f"{', '.join(missing)} not found (install {', '.join(wanted)})"
    return None
