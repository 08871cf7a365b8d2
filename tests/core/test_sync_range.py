"""sync_range with a length of 0 runs to LLONG_MAX (kernel-semantics §9.7)."""

from __future__ import annotations

from mapviz.core.simulation import Simulation
from mapviz.scenario import parse_scenario


def test_a_zero_length_from_eof_still_writes_the_page_that_holds_it() -> None:
    # kernel_diff seed 60227: OFF = EOF inside a dirty page; that page is written back,
    # and XFS allocates the whole delalloc extent under it
    sim = Simulation.from_scenario(
        parse_scenario("%fs xfs blocksize=2k\nopen -f c\npwrite 2k 64k\nsync_range -w 66k 0\n")
    )
    states = {e.state for e in sim.steps[-1].files["c"].extents}
    assert "delalloc" not in states
