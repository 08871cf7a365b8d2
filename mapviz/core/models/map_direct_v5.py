"""``map-direct-v5``: the August 2017 MAP_DIRECT proposal (kernel-semantics §2).

A MAP_DIRECT mmap of an XFS file sets the inode flag S_IOMAP_SEALED at mmap
time (§2.4): the whole file's block map is pinned, for every process, until
the last MAP_DIRECT mapping goes.  While sealed, anything that would change
the block map or the size gets ETXTBSY (§2.2), and a fault that would need a
block-map update gets SIGBUS (§2.3).  MAP_SYNC did not exist yet: it was
merged in 4.15, after this series (§1.6), so ``-S`` is an unknown flag here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from itertools import islice
from typing import TYPE_CHECKING

from mapviz.core.events import EventKind
from mapviz.core.extents import Extent, ExtentState
from mapviz.core.models.base import BlockMapChange, Change, KernelModel, MmapRequest
from mapviz.core.outcome import Signal, SyscallError
from mapviz.scenario.numbers import human_offset

if TYPE_CHECKING:
    from mapviz.core.inode import Inode
    from mapviz.core.machine import Machine
    from mapviz.core.memory import Mapping, Process


PINNED_ONE_BY_ONE = 16
"""Up to this many extents, the seal names each extent it pins; past it, one event says it."""


class MapDirectV5(KernelModel):
    name = "map-direct-v5"
    summary = "the 2017 proposal: MAP_DIRECT seals the whole block map; ETXTBSY and SIGBUS"

    def read_flags(self, request: MmapRequest, direct_flag: bool, sync_flag: bool) -> MmapRequest:
        return replace(request, direct=direct_flag, sync=sync_flag, validate=direct_flag)

    def validate_mmap(
        self, machine: Machine, process: Process, inode: Inode | None, request: MmapRequest
    ) -> None:
        if request.sync:
            # mmap3() refuses flags it does not know (v5 3/5, §1.3); MAP_SYNC came in 4.15.
            raise SyscallError(
                "EOPNOTSUPP",
                "mmap: MAP_SYNC does not exist in the 2017 v5 "
                "kernel (it was merged later, in 4.15)",
            )
        if not request.direct:
            return
        # The order is do_mmap()'s (§2.6).
        if request.anonymous:
            raise SyscallError(
                "EINVAL",
                "mmap: MAP_DIRECT needs a file; MAP_ANONYMOUS has no block map to pin (§2.6)",
            )
        if not machine.fs.policy.map_direct:
            raise SyscallError(
                "EOPNOTSUPP",
                "mmap: only XFS implements MAP_DIRECT; ext4's "
                "mmap_supported_mask does not have it (§2.6)",
            )
        if not request.shared:
            raise SyscallError(
                "EINVAL",
                "mmap: MAP_PRIVATE|MAP_DIRECT makes no sense: a "
                "private copy has no block map to pin (§2.6)",
            )
        if not request.writable:
            raise SyscallError("EACCES", "mmap: MAP_DIRECT needs PROT_WRITE (§2.6)")
        if not process.capable("linux_immutable"):
            raise SyscallError(
                "EACCES",
                f"mmap: {process.name} lacks CAP_LINUX_IMMUTABLE, which "
                "v5 requires so no unprivileged process can pin a file (§2.5)",
            )

    def after_mmap(self, machine: Machine, mapping: Mapping) -> None:
        """The seal: one event for the inode, and one per extent it pins (or one for all)."""
        if not mapping.direct or mapping.file is None:
            return
        inode = machine.inode(mapping.file)
        inode.seal_count += 1  # xfs_file_mmap(): i_mapdcount++, S_IOMAP_SEALED (§2.1)
        if inode.seal_count == 1:
            bs = machine.fs.blocksize
            machine.emit(
                EventKind.SEAL,
                f"MAP_DIRECT: {inode.name} is sealed -- its whole block map is pinned for "
                f"every process until the last MAP_DIRECT mapping goes (§2.4)",
                file=(inode.name, 0, max(inode.size, inode.data.end_block() * bs)),
            )
            allocated = list(islice(_allocated(inode), PINNED_ONE_BY_ONE + 1))
            if len(allocated) > PINNED_ONE_BY_ONE:
                count = sum(1 for _ in _allocated(inode))
                # A real file's map: one event says it, not one per extent (a million).
                machine.emit(
                    EventKind.SEAL,
                    f"pinned: all {count:,} extents of {inode.name} -- none of their "
                    "blocks may move or be freed",
                    file=(inode.name, 0, inode.data.end_block() * bs),
                )
                return
            for extent in allocated:
                first = extent.physical_block
                assert first is not None  # _allocated() keeps extents with blocks
                device = (first, first + extent.length)
                machine.emit(
                    EventKind.SEAL,
                    f"pinned: {inode.name} "
                    f"{machine.block_span(extent.file_block, extent.end)} -> "
                    f"{machine.blocks_text(*device)}",
                    file=(inode.name, extent.file_block * bs, extent.end * bs),
                    blocks=device,
                )

    def before_munmap(self, machine: Machine, mapping: Mapping) -> None:
        if not mapping.direct or mapping.file is None:
            return
        inode = machine.inode(mapping.file)
        inode.seal_count -= 1  # xfs_filemap_direct_close() (§2.4)
        if inode.seal_count == 0:
            machine.emit(
                EventKind.UNSEAL,
                f"the last MAP_DIRECT mapping of {inode.name} is gone: the seal is lifted",
                file=(inode.name, 0, inode.size),
            )

    def before_change(
        self, machine: Machine, process: Process, inode: Inode, change: BlockMapChange
    ) -> None:
        if not inode.sealed:
            return
        why = f"{change.what}, sealed by {_holders(machine, inode)}"
        if change.kind is Change.SWAPEXT:
            raise SyscallError("EINVAL", f"{why} (xfs_ioc_swapext says EINVAL, §2.2)")
        if change.kind is Change.WRITE:
            if change.extends:
                # generic_write_checks(): no write may move EOF on a sealed file (§2.2).
                raise SyscallError("ETXTBSY", f"{why} (extending writes are refused, §2.2)")
            if change.fills:
                # DAX write over a hole/unwritten -> xfs_bmapi_write() -> ETXTBSY (§2.2).
                raise SyscallError("ETXTBSY", f"{why} (xfs_bmapi_write refuses, §2.2)")
            return  # overwriting written blocks in place is fine
        # truncate (even to the same size), every fallocate mode, clone/dedupe either way (§2.2).
        raise SyscallError("ETXTBSY", f"{why} (§2.2)")

    def before_fault(
        self, machine: Machine, mapping: Mapping, file_offset: int, write: bool, fills: bool
    ) -> None:
        if mapping.file is None:
            return
        inode = machine.inode(mapping.file)
        if mapping.direct:
            # xfs_vma_checks() at the top of ->fault / ->page_mkwrite (§2.1, §2.3).
            if not machine.fs.config.dax:
                raise Signal(
                    "SIGBUS",
                    f"{inode.name} is not on DAX: every fault of a MAP_DIRECT "
                    "mapping is SIGBUS in v5 (xfs_vma_checks, §2.3)",
                )
            if inode.reflinked:
                raise Signal(
                    "SIGBUS",
                    f"{inode.name} has shared (reflinked) extents: every "
                    "MAP_DIRECT fault is SIGBUS (§2.3)",
                )
        if write and fills and inode.sealed and (mapping.direct or machine.fs.config.dax):
            extent = inode.data.find(file_offset // machine.fs.blocksize)
            what = (
                "a hole"
                if extent is None
                else ("unwritten" if extent.state is ExtentState.UNWRITTEN else "shared")
            )
            raise Signal(
                "SIGBUS",
                f"the store at {inode.name} offset {human_offset(file_offset)} would need a "
                f"block-map update ({what}), but {inode.name} is sealed by "
                f"{_holders(machine, inode)} (§2.3)",
            )

    def before_writeback(self, machine: Machine, inode: Inode, what: str) -> None:
        if inode.sealed:
            # Delalloc reserved fine, but writeback's xfs_bmapi_write() fails: an I/O
            # error (§2.2, marked unconfirmed there: code reading of 4.13).
            raise SyscallError(
                "EIO",
                f"{what}, but {inode.name} is sealed by "
                f"{_holders(machine, inode)}: the writeback fails (§2.2)",
            )

    def before_trim(self, machine: Machine, inode: Inode, what: str) -> None:
        if inode.sealed:
            # The seal pins the whole block map, post-EOF blocks included (§2.2, §2.4).
            raise SyscallError(
                "ETXTBSY", f"{what}, but {inode.name} is sealed by {_holders(machine, inode)}"
            )


def _allocated(inode: Inode) -> Iterator[Extent]:
    """The extents of ``inode`` that have blocks (delalloc has none yet)."""
    return (extent for extent in inode.data if extent.physical_block is not None)


def _holders(machine: Machine, inode: Inode) -> str:
    holders = [m for m in machine.mappings(inode.name) if m.direct]
    if not holders:
        return "a MAP_DIRECT mapping"
    first = holders[0]
    more = f" (and {len(holders) - 1} more)" if len(holders) > 1 else ""
    return f"a MAP_DIRECT mapping of {first.process} at {first.start:#x}{more}"
