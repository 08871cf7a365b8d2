"""FIEMAP on real files made for the purpose, checked against their recipe and filefrag."""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapviz.realfs import (
    BlockMap,
    ExtentArray,
    FiemapExtent,
    NoBlockMapError,
    NotRegularFileError,
    UnreadableFileError,
    iter_fiemap,
    read_block_map,
)
from mapviz.realfs.records import (
    FIEMAP_EXTENT_DELALLOC,
    FIEMAP_EXTENT_LAST,
    FIEMAP_EXTENT_SHARED,
    FIEMAP_EXTENT_UNWRITTEN,
)

from .realfiles import build, filefrag

K, M = 1 << 10, 1 << 20


def layout(block_map: BlockMap) -> list[tuple[int, int, str]]:
    """(start, end, state) with file-adjacent same-state extents joined.

    Where a filesystem splits an extent on disk is its own business; which
    bytes are data, preallocated or holes is what the recipe fixes.
    """
    ranges: list[tuple[int, int, str]] = []
    for extent in block_map.extents:
        if ranges and ranges[-1][1] == extent.offset and ranges[-1][2] == extent.state:
            ranges[-1] = (ranges[-1][0], extent.end, extent.state)
        else:
            ranges.append((extent.offset, extent.end, extent.state))
    return ranges


RECIPES = {
    "sparse": (
        [("truncate", 1 * M, 0), ("write", 256 * K, 64 * K)],
        1 * M,
        [(256 * K, 320 * K, "written")],
    ),
    "preallocated": ([("falloc", 0, 256 * K)], 256 * K, [(0, 256 * K, "unwritten")]),
    "punched": (
        [("write", 0, 1 * M), ("punch", 64 * K, 64 * K)],
        1 * M,
        [(0, 64 * K, "written"), (128 * K, 1 * M, "written")],
    ),
    "mixed": (
        [("falloc", 0, 256 * K), ("write", 64 * K, 4 * K)],
        256 * K,
        [(0, 64 * K, "unwritten"), (64 * K, 68 * K, "written"), (68 * K, 256 * K, "unwritten")],
    ),
    "beyond_eof": (
        [("write", 0, 4 * K), ("keep", 4 * K, 1 * M - 4 * K)],
        4 * K,
        [(0, 4 * K, "written"), (4 * K, 1 * M, "unwritten")],
    ),
    "holes_everywhere": (
        [("truncate", 10 * M, 0), ("write", 1 * M, 4 * K), ("falloc", 5 * M, 64 * K)],
        10 * M,
        [(1 * M, 1 * M + 4 * K, "written"), (5 * M, 5 * M + 64 * K, "unwritten")],
    ),
    "empty": ([], 0, []),
}


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_layout_matches_the_recipe(disk_dir: Path, recipe: str) -> None:
    steps, size, expected = RECIPES[recipe]
    path = build(disk_dir / recipe, steps)
    block_map = read_block_map(str(path))
    assert block_map.method == "fiemap"
    assert block_map.fiemap_error is None
    assert block_map.size == size
    assert layout(block_map) == expected
    blocksize = block_map.filesystem.blocksize
    placed = sorted((e.physical, e.length) for e in block_map.extents if e.physical is not None)
    assert len(placed) == len(block_map.extents)  # fsynced: every extent has a place
    for (start, length), (next_start, _) in itertools.pairwise(placed):
        assert start % blocksize == 0
        assert start + length <= next_start  # a file's own blocks never overlap
    if block_map.extents:
        assert block_map.extents[-1].flags & FIEMAP_EXTENT_LAST


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_extents_match_filefrag(disk_dir: Path, recipe: str) -> None:
    steps, _, _ = RECIPES[recipe]
    path = build(disk_dir / recipe, steps)
    theirs = filefrag(path)
    if theirs is None:
        pytest.skip("filefrag is not installed")
    ours = [
        (extent.offset, extent.length, extent.physical, _filefrag_words(extent))
        for extent in read_block_map(str(path)).extents
    ]
    assert [(o, n, p) for o, n, p, _ in ours] == [(o, n, p) for o, n, p, _ in theirs]
    for (_, _, _, our_words), (_, _, _, their_words) in zip(ours, theirs, strict=True):
        assert our_words <= their_words  # filefrag adds words of its own ("eof")


def _filefrag_words(extent: FiemapExtent) -> frozenset[str]:
    names = {
        FIEMAP_EXTENT_LAST: "last",
        FIEMAP_EXTENT_UNWRITTEN: "unwritten",
        FIEMAP_EXTENT_DELALLOC: "delalloc",
        FIEMAP_EXTENT_SHARED: "shared",
    }
    return frozenset(name for bit, name in names.items() if extent.flags & bit)


def test_unflushed_write_is_delalloc_until_synced(disk_dir: Path) -> None:
    path = build(disk_dir / "dirty", [("write", 0, 64 * K)], sync=False)
    block_map = read_block_map(str(path))
    if block_map.filesystem.name not in ("ext4", "xfs"):
        pytest.skip(f"{block_map.filesystem.name} may not delay allocation")
    if not block_map.extents or block_map.extents[0].state != "delalloc":
        pytest.skip("written back already (or mounted without delalloc)")
    assert [(e.offset, e.length, e.physical) for e in block_map.extents] == [(0, 64 * K, None)]
    assert not block_map.synced
    synced = read_block_map(str(path), sync=True)
    assert synced.synced
    assert [(e.offset, e.length, e.state) for e in synced.extents] == [(0, 64 * K, "written")]
    assert synced.extents[0].physical is not None


def _every_other_block(path: Path, count: int) -> Path:
    return build(path, [("falloc", 2 * i * 4 * K, 4 * K) for i in range(count)])


def test_batches_resume_where_the_last_one_ended(disk_dir: Path) -> None:
    path = _every_other_block(disk_dir / "striped", 7)
    whole = read_block_map(str(path)).extents
    assert len(whole) == 7
    fd = os.open(path, os.O_RDONLY)
    try:
        batches = list(iter_fiemap(fd, batch=2))
    finally:
        os.close(fd)
    assert [len(batch) for batch in batches] == [2, 2, 2, 1]
    assert [e for batch in batches for e in batch] == list(whole)


def test_thousands_of_extents_stream_in_batches(disk_dir: Path) -> None:
    path = _every_other_block(disk_dir / "many", 5000)
    seen: list[tuple[int, int]] = []
    block_map = read_block_map(
        str(path), progress=lambda reached, size: seen.append((reached, size))
    )
    assert len(block_map.extents) == 5000
    assert [e.offset for e in block_map.extents] == [2 * i * 4 * K for i in range(5000)]
    assert len(seen) == 2  # 4096 extents per ioctl
    assert seen[-1][0] == block_map.extents[-1].end
    assert all(size == block_map.size for _, size in seen)


def test_symlinks_are_followed(disk_dir: Path) -> None:
    target = build(disk_dir / "target", [("write", 0, 4 * K)])
    link = disk_dir / "link"
    link.symlink_to(target)
    assert read_block_map(str(link)).extents == read_block_map(str(target)).extents


@pytest.fixture
def odd_files(disk_dir: Path) -> Iterator[dict[str, str]]:
    fifo = disk_dir / "fifo"
    os.mkfifo(fifo)
    sock_path = disk_dir / "sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(sock_path))
    dangling = disk_dir / "dangling"
    dangling.symlink_to(disk_dir / "nowhere")
    yield {
        "directory": str(disk_dir),
        "character device": "/dev/null",
        "FIFO": str(fifo),
        "socket": str(sock_path),
        "missing": str(disk_dir / "missing"),
        "dangling": str(dangling),
    }
    sock.close()


@pytest.mark.parametrize(
    ("kind", "error", "words"),
    [
        ("directory", NotRegularFileError, "is a directory"),
        ("character device", NotRegularFileError, "is a character device"),
        ("FIFO", NotRegularFileError, "is a FIFO"),
        ("socket", NotRegularFileError, "is a socket"),
        ("missing", UnreadableFileError, "no such file"),
        ("dangling", UnreadableFileError, "dangling symbolic link"),
    ],
)
def test_odd_files_are_refused_in_one_line(
    odd_files: dict[str, str], kind: str, error: type[Exception], words: str
) -> None:
    path = odd_files[kind]
    with pytest.raises(error) as caught:
        read_block_map(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert words in message
    assert "\n" not in message


def test_a_filesystem_without_either_mechanism() -> None:
    # /proc files are regular, but procfs has neither FIEMAP nor SEEK_DATA.
    with pytest.raises(NoBlockMapError, match="supports neither FIEMAP nor SEEK_DATA"):
        read_block_map("/proc/self/status")


def test_extent_records() -> None:
    extent = FiemapExtent(offset=4096, address=0, length=8192, flags=0x7)
    assert (extent.end, extent.physical, extent.state) == (12288, None, "delalloc")
    assert extent.flag_names == ("last", "unknown", "delalloc")
    shared = FiemapExtent(0, 1 << 20, 4096, 0x2000)
    assert (shared.physical, shared.state, shared.shared) == (1 << 20, "written", True)
    inline = FiemapExtent(0, 123456, 60, 0x301)  # inline data has no block of its own
    assert inline.physical is None


def test_extent_array_is_a_sequence_of_records() -> None:
    records = [FiemapExtent(i * 8192, i * 4096, 4096, 0) for i in range(5)]
    array = ExtentArray.from_records(records)
    assert len(array) == 5
    assert list(array) == records
    assert array[-1] == records[-1]
    assert list(array[1:3]) == records[1:3]
    assert list(array[::2]) == records[::2]
    assert list(array.tuples()) == [tuple(record) for record in records]
    assert array == ExtentArray(array.data)
    assert hash(array) == hash(ExtentArray(array.data))
    with pytest.raises(IndexError):
        array[5]
    with pytest.raises(ValueError, match="whole number"):
        ExtentArray(b"\0" * 10)
