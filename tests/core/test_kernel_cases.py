"""Regression cases found by differential testing against the real kernel (tools/kernel_diff.py).

Every ``tests/kernel_cases/NAME.scenario`` once made the ``mainline`` model
diverge from Linux 6.18; ``NAME.expected.json`` is the kernel's answer,
recorded with ../shared/tools/record.py (three runs agreed).  Each case runs
in-process with every invariant checked and is compared with the steering
side's compare.py -- the same normalisation the conformance suite uses.
Without ../shared the comparison is skipped (the scenario's own ``%expect``
lines are still checked: they state the kernel's results).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from mapviz.core.simulation import Simulation
from mapviz.report.json_report import run_json
from mapviz.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "tests" / "kernel_cases"
COMPARE = ROOT.parent / "shared" / "tools" / "compare.py"
CASES = sorted(p.stem for p in CASES_DIR.glob("*.scenario"))


def _compare_module() -> ModuleType:
    """../shared/tools/compare.py as a module, or skip (CI has ../shared beside the project)."""
    if not COMPARE.exists():
        pytest.skip(f"{COMPARE} is not there: the real-kernel comparison needs ../shared")
    spec = importlib.util.spec_from_file_location("shared_compare_kernel_cases", COMPARE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _simulate(case: str) -> tuple[Simulation, dict[str, object]]:
    scenario = load_scenario(str(CASES_DIR / f"{case}.scenario"))
    sim = Simulation.from_scenario(scenario, check=True)
    return sim, run_json(sim, scenario)


def test_there_are_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_case_is_a_real_kernel_recording(case: str) -> None:
    text = (CASES_DIR / f"{case}.scenario").read_text()
    assert text.startswith("%title "), "every case says what it shows"
    assert "%kernel mainline" in text
    recording = json.loads((CASES_DIR / f"{case}.expected.json").read_text())
    assert recording["kernel"] == "mainline"
    assert recording["oracle"]["recorder"] == "record.py"
    assert recording["oracle"]["fiemap_flag_sync"] is False
    assert recording["ok"] is True, "every %expect held on the real kernel"


@pytest.mark.parametrize("case", CASES)
def test_case_expectations_hold(case: str) -> None:
    sim, _ = _simulate(case)
    assert not sim.failures, [(s.line, s.command, s.expect, s.result) for s in sim.failures]


@pytest.mark.parametrize("case", CASES)
def test_case_matches_the_real_kernel(case: str) -> None:
    compare = _compare_module()
    _, actual = _simulate(case)
    expected = json.loads((CASES_DIR / f"{case}.expected.json").read_text())
    differences = compare.compare_docs(expected, actual)
    assert not differences, "\n".join(differences)
