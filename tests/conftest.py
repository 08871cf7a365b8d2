"""Shared test helpers: where ../shared is, and its compare.py as a module."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mapviz.core.simulation import Simulation
from mapviz.report.json_report import run_json
from mapviz.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def simulate_json(path: Path) -> tuple[Simulation, dict[str, Any]]:
    """Run a scenario file in-process (every invariant checked) and its ``--json`` output."""
    scenario = load_scenario(str(path))
    sim = Simulation.from_scenario(scenario, check=True)
    return sim, run_json(sim, scenario)


def differences_from_recording(scenario: Path, recording: Path) -> list[str]:
    """What compare.py finds between the simulator and a real-kernel recording."""
    compare = load_compare()
    _, actual = simulate_json(scenario)
    return list(compare.compare_docs(json.loads(recording.read_text()), actual))


def load_compare() -> ModuleType:
    """../shared/tools/compare.py (the steering side's checker), or skip the test."""
    path = SHARED / "tools" / "compare.py"
    if not path.exists():
        pytest.skip(f"{path} is not there: run the tests with ../shared beside the project")
    spec = importlib.util.spec_from_file_location("shared_compare", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
