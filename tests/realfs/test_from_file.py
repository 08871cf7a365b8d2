"""``mapviz.simulation_from_file``: a real file's block map, replayed in the simulator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import mapviz
from mapviz.errors import MapvizError
from mapviz.realfs.blockmap import BlockMap, FileSystem
from mapviz.realfs.records import ExtentArray

XFS_MAGIC = 0x58465342


def test_layout_of_a_real_sparse_file(tmp_path: Path) -> None:
    path = tmp_path / "sparse"
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        for block in (0, 2, 3, 7):
            os.pwrite(fd, b"x" * 4096, block * 4096)
        os.fsync(fd)
    finally:
        os.close(fd)
    sim = mapviz.simulation_from_file(str(path))
    view = sim.steps[-1].files["sparse"]
    assert view.size == 8 * 4096
    data = [(e.offset, e.end) for e in view.extents if e.state == "written"]
    covered = {b for start, end in data for b in range(start // 4096, end // 4096)}
    assert covered == {0, 2, 3, 7}
    # The file lives on ext4 here: v5 wired MAP_DIRECT up for XFS only (§2.6).
    assert sim.fs.type == "ext4"
    assert _run(sim, "mmap -D 0 32k") == "EOPNOTSUPP"


def test_asking_what_map_direct_would_pin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = BlockMap(
        "/data/f",
        16384,
        FileSystem(XFS_MAGIC, 4096, 1 << 30),
        "fiemap",
        False,
        ExtentArray.from_records([(0, 64 << 20, 16384, 0x1)]),
    )
    monkeypatch.setattr("mapviz.realfs.replay.read_block_map", lambda path, sync=False: fake)
    sim = mapviz.simulation_from_file("/data/f")
    (extent,) = sim.steps[-1].files["f"].extents
    assert (extent.physical, extent.length) == (64 << 20, 16384)  # replayed where it was
    assert _run(sim, "mmap -D 0 16k") == "ok"
    assert _run(sim, "fpunch 0 4k") == "ETXTBSY"


def _run(sim: mapviz.Simulation, text: str) -> str:
    from mapviz.scenario import parse_line

    item = parse_line(text, line=100, fs=sim.fs)
    assert item is not None
    step = sim.apply(item)
    assert step is not None
    return step.result


def test_blocks_on_simulated_metadata_are_placed_by_the_allocator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Physical 0 is the superblock of every simulated XFS: it cannot be replayed in place.
    fake = BlockMap(
        "/data/f",
        8192,
        FileSystem(XFS_MAGIC, 4096),
        "fiemap",
        False,
        ExtentArray.from_records([(0, 0, 8192, 0x1)]),
    )
    monkeypatch.setattr("mapviz.realfs.replay.read_block_map", lambda path, sync=False: fake)
    sim = mapviz.simulation_from_file("/data/f")
    (extent,) = sim.steps[-1].files["f"].extents
    assert extent.length == 8192 and extent.physical not in (None, 0)


def test_the_public_name_is_the_realfs_function() -> None:
    from mapviz.realfs.replay import simulation_from_file

    assert mapviz.simulation_from_file is simulation_from_file


def test_a_directory_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(MapvizError) as info:
        mapviz.simulation_from_file(str(tmp_path))
    assert "\n" not in str(info.value)


def test_a_large_block_map_keeps_views_of_the_finished_file_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One view per %extent step would make a 100,000-extent import quadratic.
    records = [(2 * i * 4096, (1 << 20) + 2 * i * 4096, 4096, 0x1) for i in range(300)]
    fake = BlockMap(
        "/data/f",
        600 * 4096,
        FileSystem(XFS_MAGIC, 4096, 1 << 30),
        "fiemap",
        False,
        ExtentArray.from_records(records),
    )
    monkeypatch.setattr("mapviz.realfs.replay.read_block_map", lambda path, sync=False: fake)
    sim = mapviz.simulation_from_file("/data/f")
    assert all(not step.files for step in sim.steps[:-1])
    assert len(sim.steps[-1].files["f"].extents) == 300
    _run(sim, "pwrite 4k 4k")
    assert len(sim.steps[-1].files["f"].extents) == 301  # later steps have views again
