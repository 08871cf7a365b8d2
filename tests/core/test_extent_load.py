"""A run of ``%extent`` lines is one load: placed in bulk, yet the same world as one by one."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapviz.core.ops.place import ONE_BY_ONE
from mapviz.core.simulation import Simulation, extent_runs
from mapviz.errors import ScenarioError
from mapviz.scenario import parse_scenario
from mapviz.scenario.syntax import ExtentSpec, FsConfig

PAGE = 4096
FS = FsConfig(size=64 << 20)
HEADER = "%fs xfs size=64m\nopen -f other\npwrite 0 64k\nfsync\nopen -f f\ntruncate 8m\n"


def _world(sim: Simulation) -> tuple[object, ...]:
    """Everything placing extents may change, as plain data."""
    fs = sim.machine.fs
    inode = fs.files["f"]
    return (
        list(inode.data.records()),
        list(fs.free.runs()),
        fs.free.free_blocks,
        list(inode.content.runs(0, 16 << 20)),
        list(fs.refcounts.items()),
        list(fs.external),
    )


def _started() -> Simulation:
    sim = Simulation(FS, "mainline")
    sim.run(parse_scenario(HEADER).items)
    return sim


def _outcome(sim: Simulation, items: list[ExtentSpec | tuple[ExtentSpec, ...]]) -> object:
    try:
        for item in items:
            sim.apply(item)
    except ScenarioError as error:
        return ("error", error.line)
    sim.machine.fs.free._check()
    sim.machine.fs.files["f"].data._check()
    sim.machine.fs.files["f"].content._check()
    return _world(sim)


def _specs(rng: random.Random, count: int, *, plain: bool) -> list[ExtentSpec]:
    """``count`` extents in shuffled line order; plain ones at free, disjoint addresses."""
    offsets = rng.sample(range(0, 2048, 2), count)
    physicals = rng.sample(range(4096, 12000, 3), count)
    specs = []
    for line, (offset, physical) in enumerate(zip(offsets, physicals, strict=True), start=10):
        length = rng.choice((1, 1, 2))
        given_at = None if (not plain and rng.random() < 0.1) else physical * PAGE
        specs.append(
            ExtentSpec(
                line,
                offset * PAGE,
                length * PAGE,
                given_at,
                unwritten=rng.random() < 0.2,
                shared=not plain and rng.random() < 0.1,
            )
        )
    if not plain and rng.random() < 0.5:  # a clash: the same offset, or blocks in use
        victim = rng.randrange(count)
        other = specs[rng.randrange(count)]
        specs[victim] = ExtentSpec(specs[victim].line, other.offset, PAGE, specs[victim].physical)
    return specs


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), count=st.integers(ONE_BY_ONE + 1, 120), plain=st.booleans())
def test_a_run_loads_the_world_one_by_one_would(seed: int, count: int, plain: bool) -> None:
    specs = _specs(random.Random(seed), count, plain=plain)
    one_by_one = _outcome(_started(), list(specs))
    as_a_run = _outcome(_started(), [tuple(specs)])
    assert as_a_run == one_by_one


def test_a_plain_run_is_one_step_with_one_summary_event() -> None:
    lines = "".join(f"%extent {8 * n}k 4k {4096 + 8 * n}k\n" for n in range(40))
    sim = Simulation.from_scenario(parse_scenario(HEADER + lines + "stat\n"))
    load = next(step for step in sim.steps if step.name == "extent")
    assert load.command == "%extent x 40 (a block map loaded: 40 extents)"
    assert [event.kind.value for event in load.events] == ["alloc"]
    summary = load.events[0].file
    assert summary is not None
    assert (summary.name, summary.start, summary.end) == ("f", 0, 39 * 8192 + 4096)
    assert len(sim.machine.fs.files["f"].data) == 40
    assert [step.name for step in sim.steps].count("extent") == 1


def test_a_short_run_keeps_an_event_per_extent() -> None:
    lines = "".join(f"%extent {8 * n}k 4k\n" for n in range(3))
    sim = Simulation.from_scenario(parse_scenario(HEADER + lines))
    load = sim.steps[-1]
    assert load.command == "%extent x 3 (a block map loaded: 3 extents)"
    assert [event.kind.value for event in load.events] == ["alloc"] * 3


def test_a_bad_line_in_a_run_is_named() -> None:
    lines = "".join(f"%extent {8 * n}k 4k {4096 + 8 * n}k\n" for n in range(30))
    text = HEADER + lines + "%extent 16k 4k\n"  # overlaps the third extent
    with pytest.raises(ScenarioError) as error:
        Simulation.from_scenario(parse_scenario(text, source="big.scenario"))
    assert str(error.value).startswith(f"big.scenario:{HEADER.count(chr(10)) + 31}: ")
    assert "overlaps" in str(error.value)


def test_runs_are_split_by_anything_else() -> None:
    items = parse_scenario(
        "open -f f\n%extent 0 4k\n# a comment\n\n%extent 8k 4k\n%note x\n%extent 16k 4k\n"
    ).items
    shapes = [
        len(item) if isinstance(item, tuple) else type(item).__name__ for item in extent_runs(items)
    ]
    assert shapes == ["Command", 2, "Note", 1]
