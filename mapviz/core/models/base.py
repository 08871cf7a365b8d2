"""A kernel model: the policy consulted at named decision points.

Each model answers the questions where the kernels being compared differ:
how ``mmap``'s flags are read, whether an mmap is allowed, what a mapping
does to its file when made and removed, whether a block-map change may
proceed, whether a fault may complete, and what time passing does.  The
filesystem mechanics (extents, page cache, writeback) are shared; only these
answers change.  This base class is not a model by itself: ``Mainline``
(``mainline.py``) is today's Linux, and the others refine it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mapviz.core.inode import Inode
    from mapviz.core.machine import Machine
    from mapviz.core.memory import Mapping, Process


class Change(enum.Enum):
    """Kinds of operations that may change a file's block map or size."""

    WRITE = "write"  # write(2)/pwrite(2)
    TRUNCATE = "truncate"  # ftruncate / setattr(ATTR_SIZE)
    FALLOCATE = "fallocate"  # every mode
    CLONE_SOURCE = "clone source"
    CLONE_DEST = "clone destination"
    DEDUPE = "dedupe"
    SWAPEXT = "swapext"
    EXCHANGE = "exchange range"  # XFS_IOC_EXCHANGE_RANGE (§9.10)


@dataclass(frozen=True, slots=True)
class BlockMapChange:
    """An operation about to change ``inode``'s block map or size.

    ``what`` describes it for a ``why`` ("fpunch would free blocks 16..16 of
    data"); ``extends`` is set for a write past EOF, ``fills`` for a write that
    must allocate or convert blocks inside EOF.
    """

    kind: Change
    what: str
    extends: bool = False
    fills: bool = False


@dataclass(frozen=True, slots=True)
class MmapRequest:
    """An ``mmap`` as the kernel receives it, after the model has read xfs_io's flags."""

    length: int
    file_offset: int
    readable: bool
    writable: bool
    executable: bool
    shared: bool
    validate: bool  # MAP_SHARED_VALIDATE
    anonymous: bool
    direct: bool  # MAP_DIRECT
    sync: bool  # MAP_SYNC


class KernelModel:
    """Decision points every model answers.  See each subclass for the rules and sources."""

    name = "base"
    summary = ""

    def read_flags(self, request: MmapRequest, direct_flag: bool, sync_flag: bool) -> MmapRequest:
        """Turn xfs_io's ``-D`` / ``-S`` into the flags this kernel would see."""
        raise NotImplementedError

    def validate_mmap(
        self, machine: Machine, process: Process, inode: Inode | None, request: MmapRequest
    ) -> None:
        """Raise ``SyscallError`` if this kernel refuses the mmap (after the generic checks)."""

    def after_mmap(self, machine: Machine, mapping: Mapping) -> None:
        """A mapping now exists (seal the file, take a lease ...)."""

    def before_munmap(self, machine: Machine, mapping: Mapping) -> None:
        """A mapping is about to go away."""

    def before_change(
        self, machine: Machine, process: Process, inode: Inode, change: BlockMapChange
    ) -> None:
        """Raise ``SyscallError`` to refuse ``change``; may wait (lease breaks)."""

    def before_fault(
        self, machine: Machine, mapping: Mapping, file_offset: int, write: bool, fills: bool
    ) -> None:
        """Raise ``Signal`` to fail a fault; ``fills``: it must allocate or convert blocks."""

    def before_writeback(self, machine: Machine, inode: Inode, what: str) -> None:
        """Raise ``SyscallError`` (EIO) if writeback may not allocate / convert here."""

    def before_trim(self, machine: Machine, inode: Inode, what: str) -> None:
        """Raise ``SyscallError`` to keep ``inode``'s blocks past EOF, which the kernel
        is about to free on its own (a close, blockgc); that caller cannot fail, it
        keeps them."""

    def advance(self, machine: Machine) -> None:
        """Simulated time moved to ``machine.clock``: run what was waiting for it."""
