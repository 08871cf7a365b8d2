"""Every bundled scenario is a test: all its %expect lines hold, every invariant holds,
and it runs under every other kernel model too (ending differently, but cleanly)."""

from __future__ import annotations

import pytest

from mapviz.core.simulation import Simulation
from mapviz.scenario import KERNEL_MODELS, bundled_names, load_scenario

NAMES = bundled_names()


def test_there_are_enough_bundled_scenarios() -> None:
    assert len(NAMES) >= 15, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_expectations_hold(name: str) -> None:
    scenario = load_scenario(name)
    sim = Simulation.from_scenario(scenario, check=True)
    failed = [
        f"line {s.line} `{s.command}`: expected {s.expect}, got {s.result} ({s.why})"
        for s in sim.failures
    ]
    assert not failed, failed
    assert any(step.expect is not None for step in sim.steps), "a scenario must check itself"


@pytest.mark.parametrize("name", NAMES)
def test_narrated(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.title and scenario.title != name, "needs a %title"
    assert any(step.note for step in Simulation.from_scenario(scenario).steps), "needs %note"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kernel", KERNEL_MODELS)
def test_runs_under_every_model(name: str, kernel: str) -> None:
    scenario = load_scenario(name)
    sim = Simulation.from_scenario(scenario, kernel=kernel, check=True)
    for step in sim.steps:
        if step.result != "ok":
            assert step.why, f"line {step.line}: {step.result} without a why"
