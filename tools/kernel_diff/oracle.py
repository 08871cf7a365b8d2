"""One case, on the real kernel and in the simulator: does the ``mainline`` model agree?

:func:`evaluate` checks the case can run for real, runs it through the
simulator (every invariant checked), records it on a fresh loop-mounted
filesystem with the project's recorder (:func:`mapviz.realkernel.runner.record`),
and compares the two with the conformance suite's normalisation
(:func:`mapviz.realkernel.normalise.compare_runs`).  The answer is an
:class:`Outcome`.

The recording runs in this process, not in a ``mapviz run --real``
subprocess: the testbed itself removes its mount, loop device, swapfiles and
image on every way out (an error, Ctrl-C, SIGTERM), each xfs_io command and
each mkfs/mount has its own timeout (a hung command raises, and is cleaned
up), and the errors arrive as exceptions with the offending line instead of
stderr to parse.  In process it also costs no interpreter start per
recording, which matters to the shrinker (hundreds of recordings per case).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mapviz.core.changes import expand
from mapviz.core.simulation import Simulation
from mapviz.errors import MapvizError, ScenarioError
from mapviz.realkernel.errors import OracleFailureError
from mapviz.realkernel.normalise import compare_runs
from mapviz.realkernel.runner import record
from mapviz.realkernel.support import REAL_MODEL, check_machine, check_runnable
from mapviz.report.json_report import run_json
from mapviz.scenario import load_scenario
from mapviz.scenario.syntax import Scenario
from tools.kernel_diff.shrink import StillDiverges
from tools.kernel_diff.signature import crash_divergence, first_line_of, signature

Status = Literal["match", "diverge", "racy", "invalid", "oracle", "unstable"]
Doc = dict[str, Any]
"""A ``mapviz run --json`` document."""

CLI_TIMEOUT = 600.0
"""Seconds a ``mapviz run --json`` subprocess (``--cli``) may take."""

# Writeback that the kernel only *starts* (filemap_flush, WB_SYNC_NONE): xfs_file_release()
# after a truncate down, ext4_release_file() after a truncate to 0.  Whether FIEMAP then
# sees the I/O completed (written) or not yet (unwritten) is a race with the loop device
# and the end_io workqueue; mapviz shows it completed.  These are the simulator's event
# texts for those flushes (mapviz/core/ops/release.py).
ASYNC_FLUSH_MARKERS = (
    '"NULL files" heuristic',
    "truncate to 0 allocates",
    "(nobody waits)",  # fadvise DONTNEED, sync_file_range WRITE (kernel-semantics §9.5, §9.7)
)


@dataclass
class Outcome:
    """What one case came to.

    ``status`` is ``match``; ``diverge``; ``racy`` (the first difference
    follows an asynchronous flush); ``invalid`` (the case is wrong as a
    script, or cannot run for real: ``bad_line`` says where, if a line is
    to blame); ``oracle`` (the machine failed: mkfs, mount, a timeout).
    ``run`` turns a divergence that does not reproduce into ``unstable``.
    ``real`` and ``simulated`` are the two runs, as compared (see
    :func:`trim_restarts`).
    """

    status: Status
    diffs: list[str] = field(default_factory=list)
    real: Doc | None = None
    simulated: Doc | None = None
    message: str = ""
    bad_line: int | None = None

    @property
    def first_line(self) -> int | None:
        """The line of the first difference."""
        return first_line_of(self.diffs[0]) if self.diffs else None

    @property
    def signature(self) -> str | None:
        return signature(self.diffs[0]) if self.diffs else None


def evaluate(path: Path, cli: bool = False) -> Outcome:
    """Record, simulate and compare the case in ``path``.

    Raises
    ------
    RealKernelUnavailableError
        This machine cannot run the case (not root, no loop devices, a
        missing mkfs or setpriv).
    Interrupted, KeyboardInterrupt
        SIGTERM/SIGHUP or Ctrl-C; the testbed has been cleaned up.
    """
    try:
        scenario = load_scenario(str(path))
        check_runnable(scenario)
    except ScenarioError as refused:
        return _invalid(refused)
    except MapvizError as refused:
        return Outcome("invalid", message=str(refused))
    check_machine(scenario)
    try:
        simulated = simulate(path, cli)
    except ScenarioError as refused:
        # Wrong as a script (xfs_io would refuse the line too): nothing to mount.
        return _invalid(refused)
    except Exception as crash:  # a simulator that raises is a divergence too
        real = _record(scenario)
        if isinstance(real, Outcome):
            return real
        return Outcome("diverge", [crash_divergence(crash)], real)
    real = _record(scenario)
    if isinstance(real, Outcome):
        return real
    return judge(real, simulated)


def judge(real: Doc, simulated: Doc) -> Outcome:
    """Compare a recording with a simulation of the same case."""
    real, simulated = trim_restarts(real, simulated)
    diffs = [str(divergence) for divergence in compare_runs(real, simulated)]
    if not diffs:
        return Outcome("match", diffs, real, simulated)
    if after_async_flush(simulated, first_line_of(diffs[0])):
        return Outcome("racy", diffs, real, simulated)
    return Outcome("diverge", diffs, real, simulated)


def _invalid(refused: ScenarioError) -> Outcome:
    return Outcome("invalid", message=str(refused), bad_line=refused.line or None)


def _record(scenario: Scenario) -> Doc | Outcome:
    """The real run, or the Outcome that says why there is none."""
    try:
        return record(scenario)
    except ScenarioError as refused:  # e.g. an XFS-only command xfs_io will not run on ext4
        return _invalid(refused)
    except OracleFailureError as failure:
        return Outcome("oracle", message=str(failure))


def simulate(path: Path, cli: bool = False) -> Doc:
    """``mapviz run --json`` of ``path``, every invariant checked (in-process unless ``cli``).

    Raises :class:`ScenarioError` for a case that is wrong as a script.
    """
    if cli:
        return _simulate_in_subprocess(path)
    scenario = load_scenario(str(path))
    sim = Simulation.from_scenario(scenario, kernel=REAL_MODEL, record_files=True, check=True)
    return run_json(sim, scenario)


def _simulate_in_subprocess(path: Path) -> Doc:
    # This interpreter's mapviz, not whatever `mapviz` is first on PATH.
    argv = [sys.executable, "-m", "mapviz", "run", "--json", "--check", str(path)]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"mapviz run did not finish in {CLI_TIMEOUT:g} s") from None
    if done.returncode in (0, 1):  # 1: an %expect failed; the run is still there
        try:
            return dict(json.loads(done.stdout))
        except ValueError:
            pass
    said = done.stderr.strip()
    bad_line = re.match(r"^[^\n]*?:(\d+): (.*)", said)
    if done.returncode == 2 and bad_line:
        raise ScenarioError(str(path), int(bad_line.group(1)), bad_line.group(2))
    raise RuntimeError(f"mapviz run failed ({done.returncode}): {said[-500:]}")


def trim_restarts(real: Doc, simulated: Doc) -> tuple[Doc, Doc]:
    """Both runs without the steps after the first one at which xfs_io was restarted.

    A command that kills xfs_io (SIGBUS from ``mwrite``) is recorded with
    ``"restarted": true``: the recorder started a new xfs_io and re-opened
    the files.  The dead one's descriptors were closed on the way, and
    their ->release() has side effects (a flush after a truncate, the end
    of post-EOF preallocation) that mapviz does not model, because in
    mapviz the process lives on.  So the comparison stops at that step,
    and of that step only the result counts: its files are blanked on both
    sides, since the real snapshot was taken after the restart.  The
    arguments are not changed; either may be in ``--changes`` form (the
    trimmed runs are schema 1's).
    """
    cut = next((step["line"] for step in real.get("steps", []) if step.get("restarted")), None)
    if cut is None:
        return real, simulated
    trimmed = []
    for doc in (expand(real), expand(simulated)):  # blanking needs schema 1's whole steps
        steps = [dict(step) for step in doc.get("steps", []) if step.get("line", 0) <= cut]
        for step in steps:
            if step.get("line") == cut:
                step["files"] = {}
        doc["steps"] = steps
        trimmed.append(doc)
    return trimmed[0], trimmed[1]


def after_async_flush(simulated: Mapping[str, Any], line: int | None) -> bool:
    """Whether the simulator started an asynchronous flush at or before ``line``."""
    if line is None:
        return False
    for step in simulated.get("steps", []):
        if step.get("line", 0) > line:
            break
        for event in step.get("events") or []:
            if any(marker in str(event.get("why", "")) for marker in ASYNC_FLUSH_MARKERS):
                return True
    return False


def stable(path: Path, runs: int = 3) -> bool:
    """Whether ``runs`` recordings of ``path`` agree with each other (normalised)."""
    scenario = load_scenario(str(path))
    recordings = []
    for _ in range(runs):
        real = _record(scenario)
        if isinstance(real, Outcome):
            return False
        recordings.append(real)
    return all(not compare_runs(recordings[0], other) for other in recordings[1:])


def diverges_like(wanted: str, workdir: Path, cli: bool = False) -> StillDiverges:
    """The shrinker's oracle: does a candidate still diverge with signature ``wanted``?

    Each candidate is written to ``workdir/shrink-candidate.scenario`` and
    evaluated there (``--cli`` needs a file; so do the error messages).
    """
    path = workdir / "shrink-candidate.scenario"

    def still_diverges(text: str) -> bool:
        path.write_text(text)
        outcome = evaluate(path, cli)
        return outcome.status == "diverge" and outcome.signature == wanted

    return still_diverges
