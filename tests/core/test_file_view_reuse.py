"""Per-step file views are reused while nothing they show has changed, and only then."""

from __future__ import annotations

from mapviz.core.simulation import Simulation
from mapviz.scenario import parse_scenario

SCRIPT = """\
%fs xfs
open -f a
pwrite 0 64k
fsync
open -f b
pwrite 0 4k
reflink a 0 64k 16k
"""


def test_a_file_a_step_left_alone_keeps_its_view_object() -> None:
    sim = Simulation.from_scenario(parse_scenario(SCRIPT, source="t"))
    views = [step.files.get("a") for step in sim.steps]
    # `open -f b` and `pwrite` to b change nothing of a: the same view, not a copy.
    assert views[3] is views[2] and views[4] is views[2]


def test_a_reflink_elsewhere_shows_as_shared_in_the_untouched_source() -> None:
    sim = Simulation.from_scenario(parse_scenario(SCRIPT, source="t"))
    before, after = sim.steps[-2].files["a"], sim.steps[-1].files["a"]
    assert not any(e.shared for e in before.extents)
    assert [e.shared for e in after.extents] == [True, False]  # a's map itself is unchanged
