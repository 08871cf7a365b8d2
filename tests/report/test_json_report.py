"""``mapviz run --json``'s text, and its ``--changes`` form, on every scenario we have.

The streamed text must be ``json.dumps(run_json(...), indent=1)`` byte for
byte (SCENARIO.md's schema 1 is a contract read by outside tools); the
``--changes`` form must list exactly the files SCENARIO.md says it lists, and
carried forward it must be that same text again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mapviz.cli import main
from mapviz.core.changes import carry_forward, expand, only_changes_document
from mapviz.core.simulation import Simulation
from mapviz.realkernel.normalise import compare_runs
from mapviz.report.json_report import iter_run_json, run_json, stream_run_json
from mapviz.scenario import load_scenario, parse_scenario
from mapviz.scenario.bundled import bundled_names
from mapviz.scenario.directives import scenario_under
from tests.conftest import CONFORMANCE_SUITE, ROOT
from tools.kernel_diff.generate import generate

CONFORMANCE = sorted(CONFORMANCE_SUITE.glob("*.scenario"))
SCENARIOS = [
    *bundled_names(),
    *map(str, CONFORMANCE),
    *map(str, sorted((ROOT / "tests" / "kernel_cases").glob("*.scenario"))),
    *map(str, sorted((ROOT / "tests" / "conformance" / "probes").glob("*.scenario"))),
]
SEEDS = range(1000, 1040)  # kernel_diff's random cases: several files, processes, failed opens


def _runs(sim: Simulation, scenario: Any) -> tuple[str, str]:
    return "".join(iter_run_json(sim, scenario)), "".join(
        iter_run_json(sim, scenario, changes=True)
    )


def _streamed(sim: Simulation, scenario: Any, *, changes: bool) -> str:
    """What `mapviz run --json` prints: written while a second simulation runs."""
    fresh = Simulation(scenario.fs, sim.kernel, source=scenario.source, record_files=False)
    items = scenario_under(scenario, sim.kernel).items
    return "".join(stream_run_json(fresh, items, scenario, ok=not sim.failures, changes=changes))


def _check(sim: Simulation, scenario: Any) -> None:
    text, changes = _runs(sim, scenario)
    assert text == json.dumps(run_json(sim, scenario), indent=1) + "\n"
    assert changes == json.dumps(run_json(sim, scenario, changes=True), indent=1) + "\n"
    assert _streamed(sim, scenario, changes=False) == text
    assert _streamed(sim, scenario, changes=True) == changes
    document = json.loads(changes)
    assert document["changes"] is True and list(document)[:2] == ["schema", "changes"]
    assert json.dumps(expand(document), indent=1) + "\n" == text
    _listed_as_documented(json.loads(text)["steps"], document["steps"])


def _listed_as_documented(full: list[dict[str, Any]], listed: list[dict[str, Any]]) -> None:
    """SCENARIO.md: every file whenever a file appears, else the files whose entry changed."""
    before: dict[str, Any] = {}
    for whole, step in zip(full, listed, strict=True):
        after = whole["files"]
        if set(after) - set(before):
            assert step["files"] == after and list(step["files"]) == list(after)
        else:
            changed = {name: entry for name, entry in after.items() if before[name] != entry}
            gone = {name: None for name in before if name not in after}
            assert step["files"] == changed | gone
        before = after


@pytest.mark.parametrize("name", SCENARIOS, ids=lambda name: Path(name).stem)
def test_every_scenario_streams_schema_1_and_expands_from_changes(name: str) -> None:
    scenario = load_scenario(name)
    _check(Simulation.from_scenario(scenario), scenario)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_cases_stream_and_expand(seed: int) -> None:
    scenario = parse_scenario(generate(seed), source=f"seed-{seed}")
    _check(Simulation.from_scenario(scenario), scenario)


def test_a_file_that_appears_late_keeps_its_place() -> None:
    # "b" is named by a failed reflink before "c" exists, and made after it: schema 1
    # lists it between "a" and "c", so the step that makes it lists every file, in order.
    scenario = parse_scenario(
        "%kernel mainline\n%fs xfs\nopen -f a\nreflink b\nopen -f c\npwrite 0 4k\n"
        "open -f b\nfile 0\npwrite 0 4k\n"
    )
    sim = Simulation.from_scenario(scenario)
    text, changes = _runs(sim, scenario)
    steps = json.loads(changes)["steps"]
    assert [list(step["files"]) for step in steps] == [
        ["a"],
        [],
        ["a", "c"],
        ["c"],
        ["a", "b", "c"],
        [],
        ["a"],
    ]
    assert list(json.loads(text)["steps"][-1]["files"]) == ["a", "b", "c"]
    assert json.dumps(expand(json.loads(changes)), indent=1) + "\n" == text


def test_a_file_that_goes_is_null_and_comes_back_whole() -> None:
    # The simulator never deletes a file; a real run's snapshot might lose one.
    full = [
        {"line": 1, "files": {"a": {"size": 1}, "b": {"size": 2}}},
        {"line": 2, "files": {"a": {"size": 1}}},
        {"line": 3, "files": {"a": {"size": 3}}},
        {"line": 4, "files": {"a": {"size": 3}, "b": {"size": 2}}},
    ]
    document = only_changes_document({"schema": 1, "steps": full})
    assert [step["files"] for step in document["steps"]] == [
        {"a": {"size": 1}, "b": {"size": 2}},
        {"b": None},
        {"a": {"size": 3}},
        {"a": {"size": 3}, "b": {"size": 2}},
    ]
    assert list(carry_forward(document["steps"])) == full
    assert expand(document) == {"schema": 1, "steps": full}


@pytest.mark.parametrize("case", CONFORMANCE, ids=lambda path: path.stem)
def test_conformance_reads_either_form(case: Path) -> None:
    recording = json.loads(case.with_name(case.stem + ".expected.json").read_text())
    scenario = load_scenario(str(case))
    simulated = run_json(Simulation.from_scenario(scenario), scenario)
    expected = [str(d) for d in compare_runs(recording, simulated)]
    for real, ours in (
        (recording, run_json(Simulation.from_scenario(scenario), scenario, changes=True)),
        (only_changes_document(recording), simulated),
    ):
        assert [str(d) for d in compare_runs(real, ours)] == expected


def test_the_reader_in_scenario_md_carries_forward_as_ours_does() -> None:
    text = (ROOT / "docs" / "SCENARIO.md").read_text()
    section = text[text.index("## `mapviz run --json --changes`") :]
    code = section[
        section.index("```python\n") + 10 : section.index("\n```", section.index("```python"))
    ]
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # the documented reader, as a reader would copy it
    for seed in SEEDS:
        scenario = parse_scenario(generate(seed), source=f"seed-{seed}")
        document = run_json(Simulation.from_scenario(scenario), scenario, changes=True)
        theirs = list(namespace["carry_forward"](document["steps"]))
        assert theirs == list(carry_forward(document["steps"]))
    gone = [{"files": {"a": 1, "b": 2}}, {"files": {"b": None}}, {"files": {"c": 3}}]
    assert list(namespace["carry_forward"](gone)) == list(carry_forward(gone))


@pytest.mark.parametrize("changes", [False, True])
def test_the_cli_prints_run_json_even_when_an_expectation_fails(
    capsys: pytest.CaptureFixture[str], changes: bool
) -> None:
    scenario = load_scenario("hole-sigbus")  # expects SIGBUS; mainline fills the hole
    sim = Simulation(scenario.fs, "mainline", source=scenario.source)
    sim.run(scenario_under(scenario, "mainline").items)
    assert sim.failures
    flags = ["--changes"] if changes else []
    assert main(["run", "--json", *flags, "--kernel", "mainline", "hole-sigbus"]) == 1
    document = run_json(sim, scenario, changes=changes)
    assert document["ok"] is False and any("expect" in step for step in document["steps"])
    assert capsys.readouterr().out == json.dumps(document, indent=1) + "\n"
