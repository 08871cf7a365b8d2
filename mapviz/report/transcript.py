"""A readable transcript of a simulation: each command, its result in xfs_io's words,
why, what xfs_io printed, and (unless brief) the events inside the step."""

from __future__ import annotations

from collections.abc import Iterator

from mapviz._version import __version__
from mapviz.core.outcome import STRERROR
from mapviz.core.simulation import Simulation
from mapviz.core.trace import Step
from mapviz.report.bmap_table import format_bmap
from mapviz.report.fiemap_table import Window, format_fiemap
from mapviz.scenario import parse_line
from mapviz.scenario.syntax import Command

# The name xfs_io puts in front of perror()'s message, per command.
_PERROR = {
    "falloc": "fallocate",
    "fpunch": "fallocate",
    "fzero": "fallocate",
    "fcollapse": "fallocate",
    "finsert": "fallocate",
    "funshare": "fallocate",
    "truncate": "ftruncate",
    "dedupe": "XFS_IOC_FILE_EXTENT_SAME",
    "bmap": "xfsctl(XFS_IOC_GETBMAPX)",
}


def header(sim: Simulation, title: str) -> str:
    return f"mapviz {__version__} · {title} · kernel {sim.kernel} · {sim.fs.describe()}"


def transcript(sim: Simulation, title: str, *, events: bool = True) -> Iterator[str]:
    """The lines of the transcript."""
    yield header(sim, title)
    for step in sim.steps:
        yield from _step(sim, step, events)
    failures = sim.failures
    if failures:
        yield f"{len(failures)} expectation(s) failed"
    else:
        expected = sum(1 for s in sim.steps if s.expect is not None)
        yield f"{len(sim.steps)} steps, {expected} expectations held"


def _step(sim: Simulation, step: Step, events: bool) -> Iterator[str]:
    if step.note:
        yield f"       # {step.note}"
    who = "" if step.process == "app" else f"[{step.process}] "
    said = result_words(step)
    mark = ""
    if step.expect is not None:
        mark = "   ✓" if step.expect == step.result else f"   ✗ expected {step.expect}"
    yield f"{step.line:5}  {who}{step.command:<40} {said}{mark}"
    for line in step.output:
        yield f"       {line}"
    yield from _table(sim, step)
    if step.why:
        yield f"       why: {step.why}"
    if events:
        for event in step.events:
            yield f"         · {event.kind.value:<13} {event.why}"


def result_words(step: Step) -> str:
    """How xfs_io would report the result: ``ok``, ``fallocate: Text file busy``, ``Bus error``."""
    if step.result in ("ok", "skipped"):
        return step.result
    if step.result in ("SIGBUS", "SIGSEGV"):
        return STRERROR[step.result]
    words = STRERROR.get(step.result, step.result)
    if step.name == "dedupe" and step.result == "EBADE":
        return "XFS_IOC_FILE_EXTENT_SAME: Extents did not match."
    if step.name == "reflink":
        prefix = "XFS_IOC_CLONE_RANGE" if " " in step.command.split(" ", 2)[-1] else "XFS_IOC_CLONE"
        return f"{prefix}: {words}"
    prefix = _PERROR.get(step.name, step.name.lstrip("%"))
    return f"{prefix}: {words} ({step.result})"


def _table(sim: Simulation, step: Step) -> Iterator[str]:
    if step.result != "ok" or step.name not in ("fiemap", "bmap") or step.file is None:
        return
    view = step.files.get(step.file)
    if view is None:
        return
    command = parse_line(step.command, line=step.line, fs=sim.fs)
    assert isinstance(command, Command), step.command  # it ran: it parses
    verbose = command.has("v")
    if command.has("a"):
        # the attribute fork: mapviz's files have no extended attributes, so
        # XFS and ext4 report no extent (§4.2)
        lines = [f"{view.name}:" if step.name == "fiemap" else f"{view.name}: no extents"]
    elif step.name == "fiemap":
        window = None
        if command.args:
            end = command.number(0) + command.number(1) if len(command.args) == 2 else None
            window = Window(command.number(0), end, sim.fs.blocksize)
        lines = format_fiemap(
            view.name,
            view.extents,
            verbose=verbose,
            size=view.size,
            window=window,
            blocks=command.has("l"),
        )
    else:
        geometry = sim.machine.fs.geometry
        lines = format_bmap(
            view.name,
            view.extents,
            verbose=verbose,
            # -a / -c clear BMV_IF_PREALLOC in io/bmap.c, -p sets it
            flags=command.has("p"),
            ag_blocks=geometry.ag_blocks,
            blocksize=sim.fs.blocksize,
            size=view.size,
            ag_count=geometry.ag_count,
            delalloc=command.has("e"),
            blocks=command.has("l"),
        )
    for line in lines:
        yield f"       {line}"
