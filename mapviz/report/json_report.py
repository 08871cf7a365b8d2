"""``mapviz run --json``: schema 1 of SCENARIO.md."""

from __future__ import annotations

from typing import Any

from mapviz.core.simulation import Simulation
from mapviz.scenario.syntax import Scenario

SCHEMA = 1


def run_json(sim: Simulation, scenario: Scenario) -> dict[str, Any]:
    """The whole run as a JSON-ready dict (steps: xfs_io commands and %swapon/%swapoff)."""
    fs = sim.fs
    return {
        "schema": SCHEMA,
        "scenario": scenario.name,
        "title": scenario.title,
        "kernel": sim.kernel,
        "fs": fs.to_json(),
        "ok": not sim.failures,
        "steps": [step.to_json() for step in sim.steps if step.is_command],
    }
