"""The seeded generator: same seed, same case; every case runs in the simulator."""

from __future__ import annotations

from functools import cache

import pytest

from mapviz.core.simulation import Simulation
from mapviz.scenario import parse_scenario
from tools.kernel_diff.generate import ScenarioGenerator, generate, runnable_prefix

SEEDS = range(200)


@cache
def case(seed: int) -> str:
    return generate(seed)


# A seed must keep naming the same case: docs/kernel-divergences.md and old
# run logs refer to cases by seed.  (Output of the single-file tools/kernel_diff.py.)
SEED_5 = """\
%title kernel_diff seed 5
%kernel mainline
%fs ext4
open -f b
pwrite 0 1
fcollapse 0 4k
open -f a
fcollapse 5952 4k
funshare 4k 128k
"""


def test_a_seed_always_makes_the_same_case() -> None:
    assert [generate(seed) for seed in range(20)] == [case(seed) for seed in range(20)]


def test_a_seed_still_makes_the_case_it_made_before() -> None:
    assert generate(5) == SEED_5


def test_seeds_make_different_cases() -> None:
    assert len({case(seed) for seed in range(50)}) == 50


def test_every_case_starts_with_its_setting() -> None:
    for seed in range(20):
        head = case(seed).splitlines()[:3]
        assert head[0] == f"%title kernel_diff seed {seed}"
        assert head[1] == "%kernel mainline"
        assert head[2].split()[:2] in (["%fs", "xfs"], ["%fs", "ext4"])


@pytest.mark.parametrize("block", [SEEDS[i : i + 50] for i in range(0, len(SEEDS), 50)])
def test_every_case_parses_and_simulates_with_invariants_checked(block: range) -> None:
    for seed in block:
        scenario = parse_scenario(case(seed), source=f"seed-{seed}.scenario")
        Simulation.from_scenario(scenario, check=True)  # raises on any problem


def test_the_case_ends_before_the_first_line_the_simulator_refuses() -> None:
    text = "%kernel mainline\n%fs xfs\nopen -f a\nclose\nclose\npwrite 0 4k\n"
    assert runnable_prefix(text) == "%kernel mainline\n%fs xfs\nopen -f a\nclose\n"
    assert runnable_prefix("%kernel mainline\nopen -f a\n") == "%kernel mainline\nopen -f a\n"


def test_the_cut_only_ever_removes_a_tail() -> None:
    for seed in SEEDS:
        whole = ScenarioGenerator(seed).scenario()
        assert whole.startswith(case(seed))


def test_vocabulary_2_leaves_vocabulary_1_alone_and_draws_the_new_commands() -> None:
    assert all(generate(seed, 1) == case(seed) for seed in range(20))
    words = {
        " ".join(line.split()[:2])
        for seed in range(150)
        for line in generate(seed, 2).splitlines()
        if line and not line.startswith("%")
    }
    for wanted in ("fadvise -d", "fadvise -w", "seek -a", "open -fd", "open -fs", "open -fa"):
        assert wanted in words, wanted
    assert any(word.startswith("pwrite -V") for word in words)
    assert any(word.startswith(("madvise", "mincore")) for word in words)
    names = {word.split()[0] for word in words}
    for wanted in ("copy_range", "sendfile", "mremap", "exchangerange", "extsize", "cowextsize"):
        assert wanted in names, wanted
    assert any(word.startswith(("fiemap -", "bmap -")) for word in words)
    headers = [generate(seed, 2).splitlines()[2] for seed in range(150)]
    assert any(line.endswith(" exchange") for line in headers)


@pytest.mark.parametrize("block", [range(1000, 1040), range(1040, 1080)])
def test_every_vocabulary_2_case_simulates_with_invariants_checked(block: range) -> None:
    for seed in block:
        scenario = parse_scenario(generate(seed, 2), source=f"seed-{seed}.scenario")
        Simulation.from_scenario(scenario, check=True)
