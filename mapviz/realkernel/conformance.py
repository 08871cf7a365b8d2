"""A conformance suite: scenarios, each beside the real kernel's recording of it.

A suite is a directory of ``NAME.scenario`` files, each with the run the
real kernel made of it, ``NAME.expected.json`` (``mapviz run --real --json``
writes one; the project's own suite is ``tests/conformance/mainline``).  A
case passes when the simulator's run and the recording agree after the
normalisation of :mod:`~mapviz.realkernel.normalise` (docs/conformance.md's
"What is compared").

The simulator's run is made in-process, or by a command whose standard
output is ``mapviz run --json`` of the scenario (``{}`` stands for its path),
so another build -- or another simulator -- can be held to the same suite.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapviz.errors import MapvizError
from mapviz.realkernel.normalise import Divergence, compare_runs

RECORDING_SUFFIX = ".expected.json"
COMMAND_TIMEOUT = 120.0  # seconds for one case's command: a hung simulator is an ERROR, not a hang

Simulator = Callable[[Path], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One case's verdict: ``PASS``, ``FAIL`` (with its divergences) or ``ERROR`` (no run)."""

    name: str
    verdict: str
    divergences: tuple[Divergence, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == "PASS"

    def line(self) -> str:
        """``PASS name``, or the verdict with the first difference or the error."""
        if self.error is not None:
            return f"ERROR {self.name}: {self.error}"
        if self.divergences:
            return f"FAIL {self.name}: {self.divergences[0]}"
        return f"PASS {self.name}"


def cases(suite: Path) -> list[Path]:
    """The suite's scenarios that have a recording, by name.

    A scenario without one is bad input: a suite must not pass by silently
    leaving a case out.
    """
    if not suite.is_dir():
        raise MapvizError(f"{suite}: no such directory")
    scenarios = sorted(suite.glob("*.scenario"))
    if not scenarios:
        raise MapvizError(f"{suite}: no *.scenario files")
    unrecorded = [p.name for p in scenarios if not recording_of(p).exists()]
    if unrecorded:
        raise MapvizError(
            f"{suite}: no {RECORDING_SUFFIX} beside {', '.join(unrecorded)} "
            "(record it with `mapviz run --real --json`)"
        )
    return scenarios


def recording_of(scenario: Path) -> Path:
    return scenario.with_name(scenario.stem + RECORDING_SUFFIX)


def load_recording(path: Path) -> dict[str, Any]:
    """A recording, or a one-line error naming the file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise MapvizError(f"{path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MapvizError(f"{path}: not a mapviz run --json document ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("steps"), list):
        raise MapvizError(f"{path}: not a mapviz run --json document (no steps list)")
    return document


def simulate_in_process(scenario: Path) -> dict[str, Any]:
    """``mapviz run --json`` of ``scenario``, without a new interpreter."""
    # Imported here: the real-kernel package must not make every importer load the core.
    from mapviz.core.simulation import Simulation
    from mapviz.report.json_report import run_json
    from mapviz.scenario import load_scenario

    loaded = load_scenario(str(scenario))
    sim = Simulation.from_scenario(loaded, record_files=True)
    return run_json(sim, loaded)


def simulate_with(command: str) -> Simulator:
    """A simulator that runs ``command`` (``{}``: the scenario's path) and reads its stdout."""

    def run(scenario: Path) -> Mapping[str, Any]:
        quoted = shlex.quote(str(scenario))
        line = command.replace("{}", quoted) if "{}" in command else f"{command} {quoted}"
        try:
            done = subprocess.run(
                line,
                shell=True,
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise MapvizError(f"`{line}` ran longer than {COMMAND_TIMEOUT:g} s") from None
        # A failed %expect exits 1 and still prints its JSON: read stdout whatever the status.
        try:
            document = json.loads(done.stdout)
        except json.JSONDecodeError:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            status = done.returncode
            raise MapvizError(f"`{line}` printed no JSON (exit {status}: {last})") from None
        if not isinstance(document, dict) or not isinstance(document.get("steps"), list):
            raise MapvizError(f"`{line}` printed JSON without a steps list")
        return document

    return run


def check_case(scenario: Path, simulate: Simulator) -> CaseResult:
    """Compare the simulator's run of one case with its recording."""
    name = scenario.stem
    try:
        expected = load_recording(recording_of(scenario))
        actual = simulate(scenario)
    except MapvizError as error:
        return CaseResult(name, "ERROR", error=str(error))
    divergences = tuple(compare_runs(expected, actual))
    return CaseResult(name, "FAIL" if divergences else "PASS", divergences)


def check_suite(suite: Path, simulate: Simulator = simulate_in_process) -> Iterator[CaseResult]:
    """Every case of ``suite``, in name order, as it is checked."""
    for scenario in cases(suite):
        yield check_case(scenario, simulate)


def summary(results: list[CaseResult]) -> str:
    """The suite's last line: ``N passed, M failed`` (errors count as failed)."""
    passed = sum(result.passed for result in results)
    return f"{passed} passed, {len(results) - passed} failed"
