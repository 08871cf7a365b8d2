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
from mapviz.core.memory import Process
from mapviz.core.models.base import BlockMapChange, Change
from mapviz.core.ops import blocks
from mapviz.core.ops.limits import check_file_limit
from mapviz.core.ops.pages import cache_pages, invalidate
from mapviz.core.ops.writeback import writeback
from mapviz.core.outcome import SyscallError
from mapviz.scenario.syntax import PAGE_SIZE


def truncate(machine: Machine, process: Process, inode: Inode, size: int, what: str) -> None:
    """ftruncate(2) on an fd already known to be writable."""
    if machine.fs.config.type == "ext4" and inode.immutable:
        # ext4_setattr() refuses size changes of an immutable inode; XFS does not
        # check it on an fd opened before chattr +i (conformance README).
        raise SyscallError("EPERM", f"{inode.name} is immutable (chattr +i): ext4 refuses {what}")
    check_size_change(machine, process, inode, size, what)
    set_size(machine, inode, size, what)


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
            f"{what} would change the size of {inode.name} from {inode.size} to {size}",
        ),
    )


def set_size(machine: Machine, inode: Inode, size: int, why: str) -> None:
    """Move EOF to ``size`` with the filesystem's side effects (no permission checks)."""
    old = inode.size
    xfs = machine.fs.config.type == "xfs"
    if xfs and size == 0 and old == 0 and not inode.data:
        return  # xfs_setattr_size short-circuits an empty file
    if size > old:
        did_zeroing = zero_partial(machine, inode, old, _block_end(machine, old), why)
    else:
        did_zeroing = zero_partial(machine, inode, size, _block_end(machine, size), why)
    # truncate_setsize(): entries and pages wholly past the new EOF go, private copies too.
    first_gone = -(-size // PAGE_SIZE)
    invalidate(
        machine, inode, first_gone, max(first_gone, _page_end(machine, inode)), why, even_cows=True
    )
    if xfs and (did_zeroing or (size > inode.disk_size and old != inode.disk_size)):
        writeback(
            machine,
            inode,
            inode.disk_size,
            size,
            f"{why} (XFS writes back up to the new size first)",
        )
    inode.size = size
    inode.disk_size = size
    inode.content.truncate(size)
    if size != old:
        machine.emit(
            EventKind.SIZE_CHANGE,
            f"{why}: {inode.name} is now {size} bytes (was {old})",
            file=(inode.name, min(old, size), max(old, size)),
        )
    if size <= old:
        bs = machine.fs.blocksize
        first_block = -(-size // bs)
        end = max(inode.data.end_block(), inode.cow.end_block())
        if end > first_block:
            blocks.unmap(machine, inode, first_block, end, f"{why} frees the blocks past EOF")
        if xfs:
            inode.truncated = True


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
            inode.cache.dirty.add(a, b)
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
