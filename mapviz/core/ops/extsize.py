"""Allocation under an XFS extent size hint (§9.11).

``xfs_bmap_btalloc()`` aligns every data-fork allocation of user data to the
inode's hint (``xfs_bmap_compute_alignments()`` -> ``xfs_bmap_extsize_align()``):
the allocation grows to hint boundaries as far as the hole around it allows.
Buffered writes (through ``xfs_direct_write_iomap_begin()``), O_DIRECT writes
and fallocate all allocate this way; the widened blocks are unwritten.
"""

from __future__ import annotations

from mapviz.core.extents import ExtentState
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.ops import blocks


def allocate_holes(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> int:
    """Give the holes of file blocks ``[first, stop)`` unwritten blocks, each widened to the
    hint inside its hole; returns the block the last allocation ends at (``stop`` if none).

    Raises :class:`~mapviz.core.filesystem.NoSpace` as :func:`blocks.allocate` does.
    """
    hint = inode.extsize
    reached = stop
    for a, b, extent in list(inode.data.walk(first, stop)):
        if extent is not None:
            continue
        previous = inode.data.preceding(a)
        following = next(inode.data.overlapping(b, 1 << 62), None)
        start, end = blocks.extsize_align(
            a,
            b,
            hint,
            previous.end if previous is not None else 0,
            following.file_block if following is not None else None,
        )
        blocks.allocate(
            machine,
            inode,
            start,
            end,
            ExtentState.UNWRITTEN,
            f"{why} (aligned to the {hint}-block extent size hint)",
        )
        reached = end
    return reached
