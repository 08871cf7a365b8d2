"""``mapviz run --real``: the scenario on the real kernel and in the simulator, side by side.

:func:`run_real` is the whole thing as a function (tests call it in-process):
check that the scenario can run for real and that this machine can run it,
simulate it (which also rejects a scenario that is wrong as a script before
anything is mounted), record it on a fresh loop-mounted filesystem, clean
up, and pair the two runs step by step.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from typing import Any

from mapviz.core.simulation import Simulation
from mapviz.realkernel.normalise import Divergence, StepPair, pair_steps
from mapviz.realkernel.recorder import PAGE, Recorder
from mapviz.realkernel.support import REAL_MODEL, check_machine, check_runnable
from mapviz.realkernel.testbed import Testbed, termination_unwinds
from mapviz.report.json_report import SCHEMA, run_json
from mapviz.scenario.syntax import Scenario


@dataclass(frozen=True, slots=True)
class RealRun:
    """Both runs of a scenario (``mapviz run --json`` documents) and how they pair up."""

    real: dict[str, Any]
    simulated: dict[str, Any]
    pairs: tuple[StepPair, ...]

    @property
    def divergences(self) -> list[Divergence]:
        return [d for pair in self.pairs for d in pair.divergences]

    @property
    def agrees(self) -> bool:
        """Every step agrees (the exit status is 0)."""
        return all(pair.agrees for pair in self.pairs)


def run_real(scenario: Scenario, *, kernel: str | None = None, check: bool = False) -> RealRun:
    """Run ``scenario`` on the real kernel and under the ``mainline`` model; pair the steps.

    Parameters
    ----------
    scenario
        A ``%kernel mainline`` scenario (or any, with ``kernel="mainline"``).
    kernel
        ``--kernel``: only ``mainline`` is accepted.
    check
        Assert the simulator's invariants after every simulated step.

    Raises
    ------
    ScenarioError, MapvizError
        The scenario cannot run on a real kernel (exit status 2).
    RealKernelUnavailableError
        Not root, no loop devices, no xfs_io (exit status 2).
    OracleFailureError
        The machine failed (exit status 3); everything is cleaned up.
    """
    check_runnable(scenario, kernel)
    check_machine(scenario)
    sim = Simulation.from_scenario(scenario, kernel=REAL_MODEL, record_files=True, check=check)
    simulated = run_json(sim, scenario)
    real = record(scenario)
    return RealRun(real, simulated, tuple(pair_steps(real, simulated)))


def record(scenario: Scenario) -> dict[str, Any]:
    """The real kernel's run of ``scenario`` as a ``mapviz run --json`` document.

    Every step has empty ``events``; ``why`` is xfs_io's error line; the
    ``oracle`` key says what made it.  The caller has checked the scenario
    and the machine (:func:`run_real` does).
    """
    with termination_unwinds(), Testbed(scenario.fs, scenario.name) as testbed:
        steps = Recorder(scenario, testbed).run()
        mkfs = " ".join(testbed.mkfs)
    fs = scenario.fs
    return {
        "schema": SCHEMA,
        "scenario": scenario.name,
        "title": scenario.title,
        "kernel": REAL_MODEL,
        "fs": {**fs.to_json(), "dax": False},
        "ok": all(step.get("expect", step["result"]) == step["result"] for step in steps),
        "oracle": {
            "runner": "mapviz run --real",
            "kernel_release": platform.release(),
            "xfs_io": _xfs_io_version(),
            "mkfs": mkfs,
            "fiemap_flag_sync": False,
            "page_size": PAGE,
        },
        "steps": steps,
    }


def _xfs_io_version() -> str:
    try:
        done = subprocess.run(
            ["xfs_io", "-V"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env=dict(os.environ, LC_ALL="C"),
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip().removeprefix("xfs_io version ") or "unknown"
