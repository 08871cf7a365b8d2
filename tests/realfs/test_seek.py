"""The SEEK_DATA/SEEK_HOLE fallback: on tmpfs (no FIEMAP) and, directly, on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mapviz.realfs import iter_data_ranges, read_block_map
from mapviz.realfs.records import FIEMAP_EXTENT_LAST, FIEMAP_EXTENT_UNKNOWN
from mapviz.realfs.seek import SeekUnsupportedError

from .realfiles import build

K, M = 1 << 10, 1 << 20


def test_tmpfs_falls_back_to_seek(tmpfs_dir: Path) -> None:
    path = build(
        tmpfs_dir / "sparse",
        [("truncate", 4 * M, 0), ("write", 0, 4 * K), ("write", 1 * M, 100)],
    )
    block_map = read_block_map(str(path))
    assert block_map.filesystem.name == "tmpfs"
    assert block_map.method == "seek"
    assert block_map.fiemap_error == os.strerror(95)  # EOPNOTSUPP from ioctl_fiemap()
    assert block_map.size == 4 * M
    extents = list(block_map.extents)
    # the 100-byte write still owns a whole page: ranges are rounded to blocks
    assert [(e.offset, e.length) for e in extents] == [(0, 4 * K), (1 * M, 4 * K)]
    assert all(e.physical is None and e.state == "written" for e in extents)
    assert [e.flags for e in extents] == [
        FIEMAP_EXTENT_UNKNOWN,
        FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_LAST,
    ]


def test_tmpfs_preallocation_reads_as_a_hole(tmpfs_dir: Path) -> None:
    # shmem keeps fallocated pages !uptodate, and SEEK_DATA skips those.
    path = build(tmpfs_dir / "prealloc", [("write", 0, 4 * K), ("falloc", 64 * K, 64 * K)])
    block_map = read_block_map(str(path))
    assert [(e.offset, e.length) for e in block_map.extents] == [(0, 4 * K)]
    assert block_map.size == 128 * K


def test_tmpfs_empty_and_all_hole_files(tmpfs_dir: Path) -> None:
    assert len(read_block_map(str(build(tmpfs_dir / "empty", []))).extents) == 0
    hole = build(tmpfs_dir / "hole", [("truncate", 1 * M, 0)])
    assert len(read_block_map(str(hole)).extents) == 0


def test_tmpfs_eof_mid_block_rounds_up(tmpfs_dir: Path) -> None:
    path = build(tmpfs_dir / "odd", [("write", 0, 5000)])
    extents = list(read_block_map(str(path)).extents)
    assert [(e.offset, e.length) for e in extents] == [(0, 8 * K)]


def test_data_ranges_on_disk_match_fiemap(disk_dir: Path) -> None:
    path = build(
        disk_dir / "written",
        [("truncate", 2 * M, 0), ("write", 0, 8 * K), ("write", 1 * M, 64 * K)],
    )
    fiemap = read_block_map(str(path))
    fd = os.open(path, os.O_RDONLY)
    try:
        batches = list(iter_data_ranges(fd, fiemap.size, blocksize=4096, batch=1))
    finally:
        os.close(fd)
    assert [len(batch) for batch in batches] == [1, 1]
    ranges = [(e.offset, e.end) for batch in batches for e in batch]
    assert ranges == [(e.offset, e.end) for e in fiemap.extents]
    assert batches[-1][-1].flags & FIEMAP_EXTENT_LAST
    assert not batches[0][0].flags & FIEMAP_EXTENT_LAST


def test_proc_has_no_seek_data() -> None:
    fd = os.open("/proc/self/status", os.O_RDONLY)
    try:
        with pytest.raises(SeekUnsupportedError):
            list(iter_data_ranges(fd, 0))
    finally:
        os.close(fd)
