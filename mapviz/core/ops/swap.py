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
from mapviz.core.memory import Process
from mapviz.core.ops import blocks
from mapviz.core.ops.write import write
from mapviz.core.ops.writeback import writeback_all
from mapviz.core.outcome import SyscallError
from mapviz.scenario.syntax import PAGE_SIZE

ROOT = Process(name="mkswap")  # uid 0, every capability


def swapon(machine: Machine, inode: Inode) -> None:
    """mkswap + swapon(2) on ``inode``."""
    if inode.swapfile:
        raise SyscallError("EBUSY", f"swapon: {inode.name} is already an active swapfile")
    if inode.immutable:
        raise SyscallError(
            "EPERM", f"mkswap: {inode.name} is immutable; it cannot be opened for writing"
        )
    # mkswap: a version-1 header (last_page = size in pages - 1) into page 0, then fsync.
    header = f"swap-header/{inode.size // PAGE_SIZE}"  # its bytes depend on the size
    write(machine, ROOT, inode, 0, PAGE_SIZE, (header, 0))
    writeback_all(machine, inode, "mkswap fsyncs the header")
    pages = inode.size // PAGE_SIZE
    if pages <= 1:
        raise SyscallError(
            "EINVAL", f'swapon: {inode.name} holds only the header page ("Empty swap-file")'
        )
    bs = machine.fs.blocksize
    # iomap_swapfile_activate() fsyncs, then walks [0, ALIGN_DOWN(size, PAGE_SIZE)).
    writeback_all(machine, inode, "swapon fsyncs the file")
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
    if not inode.swapfile:
        raise SyscallError("EINVAL", f"swapoff: {inode.name} is not an active swapfile")
    inode.swapfile = False
    machine.emit(
        EventKind.SWAPOFF,
        f"swapoff: {inode.name} is an ordinary file again",
        file=(inode.name, 0, inode.size),
    )
