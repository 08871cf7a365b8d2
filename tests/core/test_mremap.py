"""mremap (kernel-semantics §9.9): a top-down layout decides whether a mapping may grow in place."""

from __future__ import annotations

from mapviz.core.memory import MAPPING_BASE, PAGE_SIZE, Process
from mapviz.core.simulation import Simulation
from mapviz.scenario import parse_scenario


def _run(text: str) -> Simulation:
    return Simulation.from_scenario(parse_scenario("%fs xfs\nopen -f m\npwrite 0 64k\n" + text))


def test_mappings_are_placed_top_down_and_reuse_the_highest_gap() -> None:
    process = Process("app")
    assert process.free_area(4 * PAGE_SIZE) == MAPPING_BASE
    sim = _run("mmap 0 16k\nmmap 0 8k\nmmap 0 4k\nmmap 1\nmunmap\nmmap 0 4k\n")
    starts = [m.start for m in sim.machine.process.mappings]
    # 16k at the base, 8k right below it, 4k below that; the freed 8k hole's top is reused
    assert starts == [MAPPING_BASE, MAPPING_BASE - 3 * PAGE_SIZE, MAPPING_BASE - PAGE_SIZE]


def test_a_new_mapping_cannot_grow_in_place_but_may_move() -> None:
    sim = _run("mmap 0 16k\nmwrite 0 8k\nmremap 32k\nmremap -m 32k\n")
    assert [s.result for s in sim.steps[-2:]] == ["ENOMEM", "ok"]
    mapping = sim.machine.process.mappings[0]
    assert mapping.length == 32768
    assert mapping.start == MAPPING_BASE - 8 * PAGE_SIZE
    # the two pages touched before the move are still present, at the new address
    assert sorted(mapping.ptes) == [mapping.start // PAGE_SIZE, mapping.start // PAGE_SIZE + 1]


def test_a_shrunk_mapping_grows_back_into_its_own_tail() -> None:
    sim = _run("mmap 0 8k\nmwrite 0 8k\nmremap 4k\nmremap 8k\nmremap 12k\n")
    assert [s.result for s in sim.steps[-3:]] == ["ok", "ok", "ENOMEM"]
    mapping = sim.machine.process.mappings[0]
    assert len(mapping.ptes) == 1  # the shrink zapped the second page


def test_fixed_addresses_and_lengths_are_checked() -> None:
    sim = _run("mmap 0 8k\nmremap 0\nmremap -f 0x10000001 8k\nmremap -f 0x10000000 8k\n")
    assert [s.result for s in sim.steps[-3:]] == ["EINVAL", "EINVAL", "ok"]
    assert sim.machine.process.mappings[0].start == 0x10000000


def test_a_grown_mapping_past_eof_is_sigbus() -> None:
    sim = _run("mmap 0 16k\nmremap -m 128k\nmwrite 0 64k\nmwrite 64k 4k\n")
    assert [s.result for s in sim.steps[-2:]] == ["ok", "SIGBUS"]
