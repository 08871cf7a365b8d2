"""XFS speculative preallocation beyond EOF (kernel-semantics §4.5).

A buffered write that reserves delalloc blocks for a hole at the end of the
data fork (no extent at or after it) and ends past EOF reserves more than it
writes: ``xfs_buffered_write_iomap_begin()`` asks ``xfs_iomap_prealloc_size()``
how far to go.  Nothing is preallocated while the file is smaller than the
minimum preallocation (``m_allocsize_blocks``, 64 KiB by default); after a
hole the minimum is used; otherwise twice the length of the physically
contiguous extents before the write, rounded down to a power of two and
throttled near ENOSPC.  The end is aligned: ``XFS_ALLOC_ALIGN(offset + count
- 1) + prealloc``.  FIEMAP shows the extra delalloc (and, after writeback,
unwritten) blocks past EOF; the comparison clips them at EOF, but they become
visible when the size later grows over them (truncate up, fallocate, a write
further out), and whatever writes back or zeroes a delalloc extent acts on the
*whole* extent, preallocation included.

They go away on the first close of a writable fd (``xfs_file_release``,
``commands/files.py``), on truncate (``setsize.py``), and after 300 s by the
background blockgc worker (never within a recorded case).
"""

from __future__ import annotations

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.filesystem import NoSpace
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.ops import blocks, extsize

XFS_MAX_BMBT_EXTLEN = (1 << 21) - 1
ALLOCSIZE_BYTES = 1 << 16  # m_allocsize_log = 16 without the allocsize= mount option
MAX_WRITEBACK_BYTES = 1024 * 4096  # "count = min(count, 1024 * PAGE_SIZE)"


def _pow2_down(n: int) -> int:
    return 1 << (n.bit_length() - 1)


def _pow2_up(n: int) -> int:
    return 1 << (n - 1).bit_length()


def fdblocks(machine: Machine) -> int:
    """``m_fdblocks``: free blocks as XFS counts them (statfs subtracts the set-aside)."""
    return machine.fs.available() + machine.fs.geometry.set_aside


def allocsize_blocks(machine: Machine) -> int:
    return max(1, ALLOCSIZE_BYTES // machine.fs.blocksize)


def xfs_iomap_prealloc_size(machine: Machine, inode: Inode, offset_fsb: int) -> int:
    """xfs_iomap_prealloc_size() for a write at file block ``offset_fsb`` (data fork)."""
    minimum = allocsize_blocks(machine)
    bs = machine.fs.blocksize
    if inode.size < minimum * bs:
        return 0
    prev = inode.data.preceding(offset_fsb)
    if prev is None or prev.end < offset_fsb:
        return minimum  # "writing right after a hole"
    plen = prev.length
    while plen <= XFS_MAX_BMBT_EXTLEN // 2 and prev.physical_block is not None:
        got = inode.data.preceding(prev.file_block)
        if (
            got is None
            or got.physical_block is None
            or got.end != prev.file_block
            or got.physical_block + got.length != prev.physical_block
        ):
            break
        plen += got.length
        prev = got
    alloc = plen * 2
    if alloc > XFS_MAX_BMBT_EXTLEN:
        alloc = offset_fsb
    alloc = min(_pow2_up(XFS_MAX_BMBT_EXTLEN), alloc)
    free = fdblocks(machine)
    pct = machine.fs.geometry.total_blocks // 100
    shift = 0
    if free < pct * 5:  # m_low_space[XFS_LOWSP_5_PCNT]
        shift = 2 + sum(1 for i in (4, 3, 2, 1) if free < pct * i)
    alloc >>= shift
    if alloc:
        alloc = _pow2_down(alloc)
    alloc = min(alloc, XFS_MAX_BMBT_EXTLEN)
    while alloc and alloc >= free:
        alloc >>= 4
    return max(alloc, minimum)


def reserve_write(machine: Machine, inode: Inode, offset: int, end: int, why: str) -> None:
    """Delalloc reservations of one buffered write(2) of bytes ``[offset, end)`` on XFS.

    Mirrors the iomap iteration of xfs_buffered_write_iomap_begin(), mapping by
    mapping in file order: a CoW-fork extent takes the write (found_cow); a
    shared run of the data fork gets a CoW-fork reservation; every hole gets a
    delalloc reservation up to the next extent, and a hole with no extent after
    it, in a write that ends past EOF, the speculative preallocation on top
    (retried without it if that does not fit, as on ENOSPC).
    """
    bs = machine.fs.blocksize
    pos = offset
    while pos < end:
        if pos > offset:
            # iomap_write_end() has moved i_size over what this call copied so far
            inode.size = max(inode.size, pos)
        fsb = pos // bs
        found = inode.data.find(fsb)
        staged = inode.cow.find(fsb)
        if staged is not None:
            # found_cow: the write goes to the CoW fork; the data fork is left alone
            stop = staged.end
            if found is None:  # in a hole: up to the extent that ends it
                following = inode.data.next_start(fsb)
                if following is not None:
                    stop = min(stop, following)
            pos = min(end, stop * bs)
            continue
        if found is not None:
            # xfs_bmap_trim_cow(): a shared run from here is staged in the CoW fork
            # (widened to the CoW extent size hint); an unshared one is written in place
            end_fsb = -(-end // bs)
            piece = found.clip(fsb, min(found.end, end_fsb))
            stop = piece.end
            if piece.physical_block is not None:
                for a, b, shared in machine.fs.shared_runs(piece.physical_block, piece.length):
                    if a == piece.physical_block:
                        stop = fsb + (b - a)
                        if shared:
                            try:
                                blocks.stage_cow(machine, inode, fsb, stop, why)
                            except NoSpace as exc:
                                exc.reached = pos  # type: ignore[attr-defined]
                                raise
                        break
            pos = min(end, stop * bs)
            continue
        if inode.extsize:
            # "we can't use delayed allocations when using extent size hints" (§9.11)
            pos = allocate_with_hint(machine, inode, pos, end, why)
            continue
        count = min(end - pos, MAX_WRITEBACK_BYTES)
        end_fsb = -(-(pos + count) // bs)
        following = inode.data.next_start(fsb)  # the extent that ends the hole, if any
        prealloc = 0
        if following is None and pos + count > inode.size:
            blocks_ = xfs_iomap_prealloc_size(machine, inode, fsb)
            if blocks_:
                aligned = (pos + count - 1) // ALLOCSIZE_BYTES * ALLOCSIZE_BYTES
                prealloc = max(0, aligned // bs + blocks_ - end_fsb)
        length = end_fsb - fsb + prealloc
        if following is not None:
            length = min(length, following - fsb)
        length = min(length, XFS_MAX_BMBT_EXTLEN)
        try:
            try:
                _reserve(machine, inode, fsb, length, prealloc, why)
            except NoSpace:
                if not prealloc:
                    raise
                length -= prealloc  # "retry without any preallocation"
                prealloc = 0
                _reserve(machine, inode, fsb, length, 0, why)
        except NoSpace as exc:
            exc.reached = pos  # type: ignore[attr-defined]  # a short write up to here
            raise
        if prealloc:
            inode.eofblocks_tag = True  # xfs_inode_set_eofblocks_tag()
        pos = min(end, (fsb + length) * bs)


def allocate_with_hint(machine: Machine, inode: Inode, pos: int, end: int, why: str) -> int:
    """xfs_direct_write_iomap_begin() for a write into a hole of a file with an extent size
    hint: real unwritten blocks now, aligned to the hint within the hole (§9.11).

    The end past EOF is rounded up to the hint first (xfs_iomap_eof_align_last_fsb()).
    Returns where the write goes on (bytes).
    """
    bs = machine.fs.blocksize
    hint = inode.extsize
    fsb = pos // bs
    count = min(end - pos, MAX_WRITEBACK_BYTES)  # "cap the maximum length we map"
    end_fsb = -(-(pos + count) // bs)
    following = inode.data.next_start(fsb)  # the extent that ends the hole, if any
    if pos + count > inode.size:
        end_fsb = -(-end_fsb // hint) * hint
    if following is not None:
        end_fsb = min(end_fsb, following)
    try:
        stop = extsize.allocate_holes(machine, inode, fsb, end_fsb, why)
    except NoSpace as exc:
        exc.reached = pos  # type: ignore[attr-defined]
        raise
    return min(end, stop * bs)


def _reserve(
    machine: Machine, inode: Inode, fsb: int, length: int, prealloc: int, why: str
) -> None:
    blocks.reserve_delalloc(machine, inode, length)
    inode.data.insert(fsb, length, None, ExtentState.DELALLOC)
    blocks.sync_indlen(machine, inode)
    extra = (
        f"; {machine.block_span(fsb + length - prealloc, fsb + length)} of it is XFS's "
        "speculative preallocation beyond EOF"
        if prealloc
        else ""
    )
    machine.emit(
        EventKind.DELALLOC,
        f"{why}: {inode.name} {machine.block_span(fsb, fsb + length)}"
        f" reserved for delayed allocation (no block chosen until writeback){extra}",
        file=blocks.byte_range(machine, inode, fsb, fsb + length),
        state="delalloc",
    )
