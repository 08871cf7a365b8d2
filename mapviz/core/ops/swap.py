"""Swapfiles: mainline's real pinned block map (kernel-semantics §3.1, §3.2).

``%swapon`` is what ``mkswap FILE && swapon FILE`` does: unless the file is
already an active swapfile, a swap header goes into page 0 through the page
cache and the file is fsynced; then swapon(2) walks the block map and
refuses holes, delalloc and shared blocks (EINVAL), accepts unwritten
extents, and needs a page after the header.  Both run with full privileges
whatever ``%proc`` is current (SCENARIO.md).
"""

from __future__ import annotations

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE, Process
from mapviz.core.ops import blocks
from mapviz.core.ops.release import release
from mapviz.core.ops.write import write
from mapviz.core.ops.writeback import fsync
from mapviz.core.outcome import SyscallError

ROOT = Process(name="mkswap")  # uid 0, every capability


def swapon(machine: Machine, inode: Inode) -> None:
    """mkswap + swapon(2) on ``inode``."""
    if inode.swapfile:
        release(machine, inode, writable=True)  # swapon's own O_RDWR open, closed on failure
        raise SyscallError("EBUSY", f"swapon: {inode.name} is already an active swapfile")
    if inode.immutable:
        raise SyscallError(
            "EPERM", f"mkswap: {inode.name} is immutable; it cannot be opened for writing"
        )
    # mkswap: a version-1 header (last_page = size in pages - 1) into page 0, then fsync.
    header = f"swap-header/{inode.size // PAGE_SIZE}"  # its bytes depend on the size
    # Its write and fsync are ordinary ones: the kernel model decides on them as on any
    # other (a v5 seal refuses a header write that would copy or allocate, §2.2).
    write(machine, ROOT, inode, 0, PAGE_SIZE, (header, 0), verb="mkswap's header write")
    fsync(machine, inode, "mkswap fsyncs the header")
    # ... and closes its O_RDWR fd: ->release() (XFS trims post-EOF blocks once).
    release(machine, inode, writable=True)
    try:
        _activate(machine, inode)
    except SyscallError:
        # sys_swapon() opened the file O_RDWR; on failure filp_close() releases it
        release(machine, inode, writable=True)
        raise


def _activate(machine: Machine, inode: Inode) -> None:
    """sys_swapon() after mkswap: read the header, then iomap_swapfile_activate()."""
    pages = inode.size // PAGE_SIZE
    if pages <= 1:
        raise SyscallError(
            "EINVAL", f'swapon: {inode.name} holds only the header page ("Empty swap-file")'
        )
    bs = machine.fs.blocksize
    # iomap_swapfile_activate() fsyncs, then walks [0, ALIGN_DOWN(size, PAGE_SIZE)).
    fsync(machine, inode, "swapon fsyncs the file")
    stop = pages * PAGE_SIZE // bs
    for a, b, extent in inode.data.walk(0, stop):
        if extent is None or extent.state is ExtentState.DELALLOC:
            raise SyscallError(
                "EINVAL",
                f"swapon: {inode.name} has unallocated extents "
                f"({machine.block_span(a, b)} is a hole)",
            )
        if blocks.is_shared(machine, extent):
            raise SyscallError(
                "EINVAL",
                f"swapon: {inode.name} has shared extents ({machine.block_span(a, b)})",
            )
    usable = _usable_pages(machine, inode, stop, pages)
    if usable == 0:
        raise SyscallError(
            "EINVAL",
            f"swapon: {inode.name}: Cannot find a single usable page in file (no physically "
            "page-aligned run of blocks)",
        )
    if usable - 1 == 0:
        raise SyscallError(
            "EINVAL",
            f"swapon: {inode.name}: Empty swap-file (only the header page is physically "
            "page-aligned)",
        )
    inode.swapfile = True
    for extent in inode.data.clipped(0, stop):
        assert extent.physical_block is not None
        machine.emit(
            EventKind.SWAPON,
            f"swapon: {inode.name} {machine.block_span(extent.file_block, extent.end)} -> "
            f"{machine.blocks_text(extent.physical_block, extent.physical_block + extent.length)} "
            "is now swap space: this block map may not change (S_SWAPFILE)",
            file=(inode.name, extent.file_block * bs, extent.end * bs),
            blocks=(extent.physical_block, extent.physical_block + extent.length),
        )


def swapoff(machine: Machine, inode: Inode) -> None:
    """swapoff(2) on ``inode``."""
    if inode.immutable:
        # swapoff opens the path O_RDWR first (§3.1: chattr +i makes swapoff EPERM).
        raise SyscallError(
            "EPERM", f"swapoff: {inode.name} is immutable; swapoff cannot open it for writing"
        )
    # sys_swapoff() opens the path O_RDWR and filp_close()s it at the end, and on
    # success also closes the file swapon kept open: ->release() either way.
    if not inode.swapfile:
        release(machine, inode, writable=True)
        raise SyscallError("EINVAL", f"swapoff: {inode.name} is not an active swapfile")
    inode.swapfile = False
    release(machine, inode, writable=True)
    machine.emit(
        EventKind.SWAPOFF,
        f"swapoff: {inode.name} is an ordinary file again",
        file=(inode.name, 0, inode.size),
    )


def _usable_pages(machine: Machine, inode: Inode, stop: int, max_pages: int) -> int:
    """Swap pages iomap_swapfile_activate() finds in file blocks ``[0, stop)``.

    Physically contiguous mappings are merged, then each run is cut to whole
    *physical* pages ("Round the start up and the end down so that the physical
    extent aligns to a page boundary", iomap_swapfile_add_extent): with blocks
    smaller than a page, a run that does not start on a 4 KiB device boundary
    loses pages.
    """
    bs = machine.fs.blocksize
    runs: list[list[int]] = []
    for extent in inode.data.clipped(0, stop):
        assert extent.physical_block is not None
        address, length = extent.physical_block * bs, extent.length * bs
        if runs and runs[-1][0] + runs[-1][1] == address:
            runs[-1][1] += length
        else:
            runs.append([address, length])
    found = 0
    for address, length in runs:
        first = -(-address // PAGE_SIZE)
        following = (address + length) // PAGE_SIZE
        if first < following and found < max_pages:
            found += min(following - first, max_pages - found)
    return found
