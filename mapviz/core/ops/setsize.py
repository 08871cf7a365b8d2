"""Changing a file's size: ftruncate, and the size step of fallocate and insert/collapse.

XFS (``xfs_setattr_size``): growing zeroes the old EOF block's tail, shrinking
zeroes the new one's; either counts as "did zeroing".  Then, if it zeroed, or
if the new size passes the on-disk size while unwritten-back data already
moved EOF, the range from the on-disk size to the new size is written back
first -- the conformance README's "XFS writes back dirty data when truncate
or fallocate grows the size".  Shrinking (or truncating to the same size)
frees every block past the new EOF, post-EOF preallocation included
(kernel-semantics §4.5), and marks the inode to be flushed on close.

ext4 (``ext4_setattr``) zeroes the partial block and frees what lies past
the new EOF, but does not flush.
"""

from __future__ import annotations

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE, Process
from mapviz.core.models.base import BlockMapChange, Change
from mapviz.core.ops import blocks
from mapviz.core.ops.limits import check_file_limit
from mapviz.core.ops.pages import cache_pages, folio_span, invalidate, isize_extended, mark_dirty
from mapviz.core.ops.writeback import writeback
from mapviz.core.outcome import SyscallError
from mapviz.scenario.numbers import exact_bytes


def truncate(machine: Machine, process: Process, inode: Inode, size: int, what: str) -> None:
    """ftruncate(2) on an fd already known to be writable."""
    machine.fs.policy.setattr_checks(inode, what)
    check_size_change(machine, process, inode, size, what)
    setattr_size(machine, inode, size, what)


def setattr_size(machine: Machine, inode: Inode, size: int, why: str) -> None:
    """notify_change(ATTR_SIZE): ftruncate, truncate(2), open(O_TRUNC)."""
    machine.fs.policy.before_setattr_size(inode, size)
    set_size(machine, inode, size, why)


def check_size_change(
    machine: Machine, process: Process, inode: Inode, size: int, what: str
) -> None:
    """``inode_newsize_ok()`` and the model's say on a size change."""
    if inode.swapfile and size <= inode.size:
        # inode_newsize_ok(): an active swapfile may grow but not shrink (§3.1).
        raise SyscallError(
            "ETXTBSY", f"{what}: {inode.name} is an active swapfile; it may only grow"
        )
    check_file_limit(machine, size, what)
    machine.model.before_change(
        machine,
        process,
        inode,
        BlockMapChange(
            Change.TRUNCATE,
            f"{what} would change the size of {inode.name} from {exact_bytes(inode.size)} "
            f"to {exact_bytes(size)}",
        ),
    )


def set_size(machine: Machine, inode: Inode, size: int, why: str) -> None:
    """Move EOF to ``size`` with the filesystem's side effects (no permission checks)."""
    old = inode.size
    policy = machine.fs.policy
    if policy.empty_truncate_noop and size == 0 and old == 0 and not inode.data:
        return  # xfs_setattr_size short-circuits an empty file
    if size > old and policy.iomap_zeroing:
        # xfs_setattr_size(): xfs_zero_range(oldsize, newsize - oldsize)
        did_zeroing = xfs_zero_range(machine, inode, old, size - old, why)
    elif size > old:
        did_zeroing = zero_partial(machine, inode, old, _block_end(machine, old), why)
    elif policy.iomap_zeroing:
        # xfs_truncate_page(): iomap_truncate_page() zeroes the rest of the new EOF block
        did_zeroing = xfs_zero_range(machine, inode, size, _block_end(machine, size) - size, why)
    else:
        did_zeroing = zero_partial(machine, inode, size, _block_end(machine, size), why)
    # truncate_setsize(): entries and pages wholly past the new EOF go, private copies too.
    first_gone = -(-size // PAGE_SIZE)
    invalidate(
        machine, inode, first_gone, max(first_gone, _page_end(machine, inode)), why, even_cows=True
    )
    # truncate_setsize() has moved i_size before XFS writes back [i_disk_size, newsize)
    inode.size = size
    isize_extended(machine, inode, old, size, why)
    if policy.setattr_writes_back and (
        did_zeroing or (size > inode.disk_size and old != inode.disk_size)
    ):
        writeback(
            machine,
            inode,
            inode.disk_size,
            size,
            f"{why} (XFS writes back up to the new size first)",
        )
    inode.disk_size = size
    inode.content.truncate(size)
    if size != old:
        machine.emit(
            EventKind.SIZE_CHANGE,
            f"{why}: {inode.name} is now {exact_bytes(size)} (was {exact_bytes(old)})",
            file=(inode.name, min(old, size), max(old, size)),
        )
    if size <= old:
        bs = machine.fs.blocksize
        first_block = -(-size // bs)
        end = max(inode.data.end_block(), inode.cow.end_block())
        if end > first_block:
            blocks.unmap(machine, inode, first_block, end, f"{why} frees the blocks past EOF")
        policy.after_truncate_down(inode)


def xfs_zero_range(machine: Machine, inode: Inode, start: int, length: int, why: str) -> bool:
    """xfs_zero_range(): iomap_zero_range() with xfs_buffered_write_iomap_begin(IOMAP_ZERO).

    Holes and unwritten blocks already read as zeros; written and delalloc
    blocks inside the EOF block are zeroed through the page cache (dirtied).
    A delalloc extent met at or past the EOF block -- speculative
    preallocation -- is not zeroed but converted: the *whole* extent is
    allocated as unwritten (``xfs_bmapi_convert_delalloc``, "convert_delay";
    Linux 6.12+).  Used for writes past EOF (xfs_file_write_zero_eof), size
    growth (xfs_setattr_size) and reflink past EOF (xfs_reflink_zero_posteof).
    A hole met while the range has dirty pages makes iomap flush the rest of
    the range once (``iomap_zero_iter_flush_and_stale``); dirty pages over
    unwritten blocks are zeroed in place without a flush (observed on 6.18).
    Returns True if anything was zeroed ("did_zeroing").
    """
    if length <= 0:
        return False
    bs = machine.fs.blocksize
    stop = start + length
    eof_block = -(-inode.size // bs)
    first, last = machine.fs.block_range(start, stop)
    zeroed = False
    bpp = machine.fs.blocks_per_page
    dax = machine.fs.config.dax
    off = start % bs
    if off and not dax and _needs_writeback(inode, bpp, start, start + min(length, bs - off)):
        # "special case it to zero the unaligned start portion if already dirty in
        # pagecache": the rest of the first block is zeroed in its folio whatever the
        # mapping, and that counts as zeroing (did_zero) (§4.5, "Zeroing from an unaligned EOF")
        head = min(stop, start + bs - off)
        inode.content.zero(start, head)
        if inode.data.find(first) is not None or inode.cow.find(first) is not None:
            mark_dirty(inode, first, first + 1)
        zeroed = True
        start, first = head, first + 1
        if start >= stop:
            return True
    # iomap_zero_range(): "only flush if dirty and the fs returns a mapping that
    # might convert on writeback" -- done once, at the first hole met.  A folio is
    # dirty as a whole: a large one counts if any of its pages is.
    range_dirty = not dax and _needs_writeback(inode, bpp, start, stop)
    position = first
    while position < last:
        extent = inode.data.find(position)
        staged = inode.cow.find(position) if extent is None else None
        if staged is not None:
            # a data-fork hole whose writes are staged in the CoW fork: zeroing goes
            # there too (the folio is dirty), up to the EOF block; past it, nothing
            piece_end = min(staged.end, last)
            following = next(inode.data.overlapping(position, last), None)
            if following is not None:
                piece_end = min(piece_end, following.file_block)
            if position < eof_block:
                piece_end = min(piece_end, eof_block)
                lo, hi = max(start, position * bs), min(stop, piece_end * bs)
                inode.content.zero(lo, hi)
                if any(True for _ in inode.cache.dirty.overlapping(position, piece_end)):
                    zeroed = True
            position = piece_end
            continue
        if extent is None or (
            extent.state is ExtentState.UNWRITTEN and position >= eof_block and range_dirty
        ):
            # only a mapping at or past the EOF block triggers the flush: inside EOF the
            # dirty folios are looked up instead (iomap_fill_dirty_folios)
            if range_dirty and position >= eof_block:
                # iomap_zero_iter_flush_and_stale(): write back the rest of the range
                range_dirty = False
                writeback(
                    machine,
                    inode,
                    max(start, position * bs),
                    stop,
                    f"{why}: zeroing over a hole or unwritten blocks flushes the dirty "
                    "page cache first",
                )
                continue  # IOMAP_F_STALE: look the mapping up again
            following = next(inode.data.overlapping(position, last), None)
            position = following.file_block if following is not None else last
            continue
        if extent.state is ExtentState.DELALLOC and position >= eof_block:
            blocks.convert_delalloc(
                machine,
                inode,
                extent,
                ExtentState.UNWRITTEN,
                f"{why}: zeroing past EOF allocates the whole delalloc extent, unwritten",
            )
            continue  # the mapping is unwritten now: look again
        piece_end = min(extent.end, last)
        if position < eof_block:
            piece_end = min(piece_end, eof_block)  # "trim extents that extend beyond EOF"
        lo, hi = max(start, position * bs), min(stop, piece_end * bs)
        if extent.state is ExtentState.UNWRITTEN:
            # within EOF: the dirty folios over it are zeroed in place (no flush)
            if position < eof_block and any(
                True
                for _ in inode.cache.dirty.overlapping(
                    lo // PAGE_SIZE * bpp, -(-hi // PAGE_SIZE) * bpp
                )
            ):
                # iomap_zero_iter() writes zeros into those folios: the blocks are dirty
                inode.content.zero(lo, hi)
                mark_dirty(inode, position, piece_end)
                zeroed = True
        else:
            inode.content.zero(lo, hi)
            if not machine.fs.config.dax:
                if extent.state is ExtentState.WRITTEN:
                    # zeroing a shared block is a write to it: copy-on-write
                    blocks.stage_cow(machine, inode, position, piece_end, why)
                cache_pages(machine, inode, lo // PAGE_SIZE, -(-hi // PAGE_SIZE), why)
                mark_dirty(inode, position, piece_end)
            machine.emit(
                EventKind.ZERO,
                f"{why}: bytes {machine.span(lo, hi)} of {inode.name} zeroed in place",
                file=(inode.name, lo, hi),
            )
            zeroed = True
        position = piece_end
    return zeroed


def _needs_writeback(inode: Inode, blocks_per_page: int, start: int, stop: int) -> bool:
    """filemap_range_needs_writeback(): a folio over bytes ``[start, stop)`` is dirty."""
    first_page, stop_page = folio_span(inode, start // PAGE_SIZE, -(-stop // PAGE_SIZE))
    return inode.cache.dirty.any_in(first_page * blocks_per_page, stop_page * blocks_per_page)


def zero_partial(machine: Machine, inode: Inode, start: int, stop: int, why: str) -> bool:
    """Zero bytes ``[start, stop)`` in place where they hold data (iomap_zero_range).

    Holes and unwritten blocks already read as zeros and are skipped; written
    or delalloc blocks are zeroed through the page cache, which dirties them.
    Returns True if anything was zeroed ("did_zeroing").
    """
    if stop <= start:
        return False
    first, last = machine.fs.block_range(start, stop)
    zeroed = False
    bs = machine.fs.blocksize
    for a, b, extent in inode.data.walk(first, last):
        if extent is None or extent.state is ExtentState.UNWRITTEN:
            continue
        lo, hi = max(start, a * bs), min(stop, b * bs)
        inode.content.zero(lo, hi)
        if not machine.fs.config.dax:
            cache_pages(machine, inode, lo // PAGE_SIZE, -(-hi // PAGE_SIZE), why)
            mark_dirty(inode, a, b)
        machine.emit(
            EventKind.ZERO,
            f"{why}: bytes {machine.span(lo, hi)} of {inode.name} zeroed in place",
            file=(inode.name, lo, hi),
        )
        zeroed = True
    return zeroed


def _block_end(machine: Machine, offset: int) -> int:
    """The end of the block holding byte ``offset`` (``offset`` itself if aligned)."""
    bs = machine.fs.blocksize
    return -(-offset // bs) * bs


def _page_end(machine: Machine, inode: Inode) -> int:
    """One past the last page anything of ``inode`` may sit in (cache or mappings)."""
    pages = [first + count for first, count, _ in inode.cache.runs()]
    pages += [m.file_pages()[1] for m in machine.mappings(inode.name)]
    return max(pages, default=0)
