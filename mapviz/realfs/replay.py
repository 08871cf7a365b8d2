"""A real file's block map, replayed in the simulator, ready for commands.

Reading the block map is :mod:`mapviz.realfs`' job; running it is the core's.
This module joins the two (it is not imported by :mod:`mapviz.realfs` itself,
so ``mapviz fiemap`` without ``--html`` never loads the simulator).  It is
also ``mapviz.simulation_from_file``.
"""

from __future__ import annotations

from mapviz.core.simulation import Simulation
from mapviz.errors import ScenarioError
from mapviz.realfs.blockmap import BlockMap, read_block_map
from mapviz.realfs.export import scenario_prologue
from mapviz.scenario import parse_scenario


def simulation_from_file(
    path: str, *, kernel: str | None = None, sync: bool = False, fs_type: str | None = None
) -> Simulation:
    """A simulation holding a real file's block map (read with FIEMAP), ready for commands.

    The file is recreated with ``%extent`` lines (``mapviz fiemap --scenario``)
    on a simulated filesystem of the same type and, when known, size, so a
    learner can ask what MAP_DIRECT would have pinned or refused on *that*
    file (``fs_type="xfs"`` asks it of an ext4 file's layout: MAP_DIRECT was
    XFS-only).  Raises :class:`mapviz.errors.MapvizError` for files without a block map.
    """
    return simulation_from_block_map(
        read_block_map(path, sync=sync), kernel=kernel, fs_type=fs_type
    )


def simulation_from_block_map(
    block_map: BlockMap, *, kernel: str | None = None, fs_type: str | None = None
) -> Simulation:
    """A simulation holding a block map already read (see :func:`simulation_from_file`).

    Where a real block falls on the simulated filesystem's own metadata,
    the blocks are placed by the simulated allocator instead.  The
    ``%extent`` steps but the last keep no file views (a view of a
    100,000-extent file after each of its 100,000 extents would be
    quadratic); views start at the finished file, as
    :class:`mapviz.view.Storyboard` does.  ``fs_type`` replays the layout on
    another simulated filesystem (``mapviz fiemap --fs``).
    """

    def replay(place: bool) -> Simulation:
        text = "\n".join(scenario_prologue(block_map, place=place, fs_type=fs_type))
        scenario = parse_scenario(text, source=block_map.path)
        sim = Simulation.from_scenario(scenario, kernel=kernel, record_files=False)
        sim.start_recording_files()
        return sim

    try:
        return replay(place=True)
    except ScenarioError:
        return replay(place=False)
