"""Test helpers: where the recorded real-kernel cases are, and how a run is held to one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mapviz.core.simulation import Simulation
from mapviz.realkernel.normalise import compare_runs
from mapviz.report.json_report import run_json
from mapviz.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CONFORMANCE_SUITE = ROOT / "tests" / "conformance" / "mainline"


def simulate_json(path: Path) -> tuple[Simulation, dict[str, Any]]:
    """Run a scenario file in-process (every invariant checked) and its ``--json`` output."""
    scenario = load_scenario(str(path))
    sim = Simulation.from_scenario(scenario, check=True)
    return sim, run_json(sim, scenario)


def differences_from_recording(scenario: Path, recording: Path) -> list[str]:
    """What the conformance comparison finds between the simulator and a real-kernel recording."""
    _, actual = simulate_json(scenario)
    return [str(d) for d in compare_runs(json.loads(recording.read_text()), actual)]
