"""A real file's layout replayed on another simulated filesystem always runs.

An ext4 file's blocks can sit where the simulated XFS keeps its own
headers and log (``mapviz fiemap --scenario --fs xfs``); those extents are
left to the simulated allocator, after every extent that keeps its address.
The test's layout puts blocks on XFS's metadata on purpose, so the answer
does not depend on where a real filesystem happened to put a test file.
"""

from __future__ import annotations

import pytest

from mapviz.core.fs import mkfs_geometry
from mapviz.core.simulation import Simulation
from mapviz.realfs.blockmap import BlockMap, FileSystem
from mapviz.realfs.export import scenario_prologue
from mapviz.realfs.records import ExtentArray
from mapviz.scenario import parse_scenario

EXT4 = 0xEF53
K = 1024
LAST = 0x1


def _ext4_file(extents: list[tuple[int, int, int]], size: int) -> BlockMap:
    """``(offset, physical, length)`` extents of an ext4 file on a 64 MiB device."""
    records = [
        (offset, physical, length, LAST if i == len(extents) - 1 else 0)
        for i, (offset, physical, length) in enumerate(extents)
    ]
    return BlockMap(
        "/data/real", size, FileSystem(EXT4, 4096, 64 << 20), "fiemap", False,
        ExtentArray.from_records(records),
    )  # fmt: skip


@pytest.mark.parametrize("fs_type", ["xfs", "ext4"])
def test_blocks_on_the_simulated_metadata_go_to_the_allocator(fs_type: str) -> None:
    metadata = sorted(mkfs_geometry(fs_type, 64 << 20, 4096, True).metadata)
    on_metadata = [start * 4096 for start, count in metadata[:3]]
    free = [
        4096 * (metadata[0][0] + metadata[0][1] + 64),
        4096 * (metadata[0][0] + metadata[0][1] + 96),
    ]
    extents = [(i * 64 * K, physical, 16 * K) for i, physical in enumerate(on_metadata + free)]
    block_map = _ext4_file(extents, len(extents) * 64 * K)
    lines = scenario_prologue(block_map, fs_type=fs_type)
    placed = [line for line in lines if line.startswith("%extent")]
    assert len(placed) == len(extents)
    assert [len(line.split()) for line in placed] == [4] * len(free) + [3] * len(on_metadata)
    assert any("own metadata" in line for line in lines)
    sim = Simulation.from_scenario(parse_scenario("\n".join(lines) + "\nmmap -D 0 64k\n"))
    assert len(sim.machine.fs.files["real"].data) == len(extents)


def test_a_layout_clear_of_metadata_keeps_every_address() -> None:
    metadata = sorted(mkfs_geometry("xfs", 64 << 20, 4096, True).metadata)
    clear = 4096 * (metadata[0][0] + metadata[0][1] + 64)
    block_map = _ext4_file([(0, clear, 16 * K)], 16 * K)
    lines = scenario_prologue(block_map, fs_type="xfs")
    assert f"%extent 0 16k {clear // K}k" in lines
    assert not any("own metadata" in line for line in lines)
