"""SEEK_DATA / SEEK_HOLE over a file's data ranges, and xfs_io's ``seek`` output.

lseek(2) with SEEK_DATA returns the first data offset at or after the
start, SEEK_HOLE the first hole offset at or after it, counting the end of
the file as a hole; both fail with ENXIO at or past the end of the file
(fs/iomap/seek.c, fs/libfs.c).  What counts as *data* is the filesystem's
business (``data_ranges``): :func:`run_seek` only walks the answers the
way xfsprogs' ``io/seek.c`` ``seek_f()`` does, so its lines are xfs_io's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from mapviz.core.extents import ExtentState
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE

SEEK_DATA = "DATA"
SEEK_HOLE = "HOLE"


def data_ranges(machine: Machine, inode: Inode) -> list[tuple[int, int]]:
    """What SEEK_DATA finds: byte ranges of data inside EOF, in order (§9.6).

    ``iomap_seek_data()`` / ``iomap_seek_hole()`` [fs/iomap/seek.c] with the
    filesystems' report mappings: written and delalloc blocks are data, holes
    are holes, and in an unwritten extent a page that is in the page cache
    (uptodate: read in, or written) is data (``mapping_seek_hole_data()``).
    """
    bs = machine.fs.blocksize
    ranges: list[tuple[int, int]] = []

    def add(start: int, stop: int) -> None:
        stop = min(stop, inode.size)
        if start >= stop:
            return
        if ranges and ranges[-1][1] >= start:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], stop))
        else:
            ranges.append((start, stop))

    eof_block = -(-inode.size // bs)
    cached = [
        (page * PAGE_SIZE, (page + count) * PAGE_SIZE) for page, count, _ in inode.cache.runs()
    ]
    for start, stop, extent in inode.data.walk(0, eof_block):
        if extent is None:
            continue
        if extent.state is not ExtentState.UNWRITTEN:
            add(start * bs, stop * bs)
            continue
        for lo, hi in cached:  # O(runs) per unwritten extent: both are few
            add(max(lo, start * bs), min(hi, stop * bs))
    return ranges


def lseek(ranges: Sequence[tuple[int, int]], size: int, start: int, whence: str) -> int | None:
    """The offset lseek(fd, start, whence) returns; ``None`` for ENXIO.

    ``ranges`` are the data ranges ``(start, end)`` in offset order, inside
    ``[0, size)``.

    >>> lseek([(0, 4096)], 8192, 0, SEEK_HOLE), lseek([(0, 4096)], 8192, 100, SEEK_DATA)
    (4096, 100)
    >>> lseek([(0, 4096)], 8192, 4096, SEEK_DATA) is None, lseek([], 8192, 8192, SEEK_HOLE)
    (True, None)
    """
    if start >= size:
        return None
    for first, end in ranges:
        if end <= start:
            continue
        if whence == SEEK_DATA:
            return max(first, start)
        if first > start:
            return start
        start = end  # inside data: the hole is where this run ends (or later)
    return start if whence == SEEK_HOLE else None


class SeekRun(NamedTuple):
    """What ``seek`` printed, and where its last successful lseek(2) left the file position
    (``None``: no call succeeded, the position did not move)."""

    lines: list[str]
    position: int | None


def run_seek(
    ranges: Sequence[tuple[int, int]],
    size: int,
    start: int,
    *,
    data: bool,
    hole: bool,
    repeat: bool = False,
    show_start: bool = False,
) -> SeekRun:
    """What ``seek -d|-h|-a [-r] [-s] START`` prints (xfsprogs io/seek.c), and the file
    position its lseek(2) calls leave (§9.6).

    >>> run = run_seek([(0, 100), (200, 300)], 300, 0, data=True, hole=True, repeat=True)
    >>> for line in run.lines:
    ...     print(line.replace("\\t", " "))
    Whence Result
    DATA 0
    HOLE 100
    DATA 200
    HOLE 300
    >>> run_seek([(0, 100)], 300, 0, data=True, hole=False).position
    100
    """
    assert data or hole
    names = (SEEK_DATA, SEEK_HOLE)
    wanted = {SEEK_DATA: data, SEEK_HOLE: hole}
    offset: int | None
    position: int | None = None  # lseek() moves f_pos when it succeeds
    if hole:
        current = SEEK_HOLE
        offset = lseek(ranges, size, start, SEEK_HOLE)
        position = offset if offset is not None else position
        if not ((offset is not None and offset == start) or not data):
            current = SEEK_DATA
            offset = lseek(ranges, size, start, SEEK_DATA)
            position = offset if offset is not None else position
    else:
        current = SEEK_DATA
        offset = lseek(ranges, size, start, SEEK_DATA)
        position = offset if offset is not None else position
    lines = ["Whence\tStart\tResult" if show_start else "Whence\tResult"]
    count = 0
    while any(wanted.values()):
        if offset is None:
            if count == 0:  # ENXIO is shown only when it is the one entry
                lines.append(f"{current}\t{start}\tEOF" if show_start else f"{current}\tEOF")
            break
        if wanted[current]:
            lines.append(f"{current}\t{start}\t{offset}" if show_start else f"{current}\t{offset}")
        if not repeat:
            wanted[current] = False
        current = names[1 - names.index(current)]
        start = offset
        offset = lseek(ranges, size, start, current)
        position = offset if offset is not None else position
        count += 1
    return SeekRun(lines, position)
