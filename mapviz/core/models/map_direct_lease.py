"""``map-direct-lease``: MAP_DIRECT v7-v9 (October 2017), a lease per mapping (§1.4).

A MAP_DIRECT mmap (MAP_SHARED_VALIDATE) of a DAX, non-reflinked XFS file
takes an FL_LAYOUT lease on the whole file, held by the mapping process.
Nothing is refused outright.  A "lease breaker" -- write(2), fallocate,
truncate (and, by inference, reflink/dedupe/swapext, §6 "U") -- breaks the
lease: the holder gets SIGIO and the breaker waits up to lease-break-time
(45 s by default) for the holder to munmap; if it does not, the kernel
revokes the mapping (zaps its entries; every later access is SIGBUS) and the
breaker proceeds.  A fault that would allocate or convert blocks cannot wait:
it starts the break (``break_layout_nowait``) and gets SIGBUS (§1.4, §6).
Time is simulated: a blocking breaker advances the clock to the deadline;
``%sleep`` lets a pending break expire.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from mapviz.core.events import EventKind
from mapviz.core.inode import Lease
from mapviz.core.memory import PAGE_SIZE
from mapviz.core.models.base import BlockMapChange, KernelModel, MmapRequest
from mapviz.core.models.mainline import check_map_sync
from mapviz.core.ops.pages import invalidate
from mapviz.core.outcome import Signal, SyscallError
from mapviz.scenario.numbers import human_offset

if TYPE_CHECKING:
    from mapviz.core.inode import Inode
    from mapviz.core.machine import Machine
    from mapviz.core.memory import Mapping, Process


class MapDirectLease(KernelModel):
    name = "map-direct-lease"
    summary = "MAP_DIRECT v9: a lease per mapping; breakers wait, then the mapping is revoked"

    def read_flags(self, request: MmapRequest, direct_flag: bool, sync_flag: bool) -> MmapRequest:
        # MAP_DIRECT goes with MAP_SHARED_VALIDATE; under MAP_PRIVATE the bit is stripped.
        direct = direct_flag and (request.shared or request.anonymous)
        return replace(request, direct=direct, sync=sync_flag, validate=direct or sync_flag)

    def validate_mmap(
        self, machine: Machine, process: Process, inode: Inode | None, request: MmapRequest
    ) -> None:
        check_map_sync(machine, inode, request)
        if not request.direct or inode is None:
            return
        if not machine.fs.policy.map_direct:
            raise SyscallError("EOPNOTSUPP", "mmap: only XFS wires up MAP_DIRECT (§1.4)")
        if not machine.fs.config.dax:
            raise SyscallError(
                "EPERM",
                f"mmap: MAP_DIRECT needs DAX; {inode.name} goes through "
                "the page cache (xfs_file_mmap_direct, §1.4)",
            )
        if inode.reflinked:
            raise SyscallError(
                "EPERM",
                f"mmap: {inode.name} has reflinked extents, which MAP_DIRECT refuses (§1.4)",
            )
        if process.uid != inode.owner and not process.capable("lease"):
            raise SyscallError(
                "EACCES",
                f"mmap: {process.name} may not take a lease on "
                f"{inode.name}: not its owner and no CAP_LEASE (§1.4)",
            )

    def after_mmap(self, machine: Machine, mapping: Mapping) -> None:
        if not mapping.direct or mapping.file is None:
            return
        inode = machine.inode(mapping.file)
        inode.leases.append(Lease(mapping.id, mapping.process, mapping.start))
        machine.emit(
            EventKind.LEASE,
            f"MAP_DIRECT: {mapping.process} holds a layout lease on all of {inode.name} for as "
            f"long as the mapping at {mapping.start:#x} lives (§1.4)",
            file=(inode.name, 0, inode.size),
            virtual=(mapping.process, mapping.start, mapping.end),
        )

    def before_munmap(self, machine: Machine, mapping: Mapping) -> None:
        if mapping.file is None:
            return
        inode = machine.inode(mapping.file)
        for lease in [x for x in inode.leases if x.mapping_id == mapping.id]:
            inode.leases.remove(lease)
            machine.emit(
                EventKind.LEASE_RELEASE,
                f"munmap releases {mapping.process}'s lease on {inode.name}"
                + (" before the deadline: no revoke" if lease.break_deadline is not None else ""),
                file=(inode.name, 0, inode.size),
                virtual=(mapping.process, mapping.start, mapping.end),
            )

    def before_change(
        self, machine: Machine, process: Process, inode: Inode, change: BlockMapChange
    ) -> None:
        if not inode.leases:
            return
        _start_break(machine, inode, f"{change.what}: a lease breaker")
        deadline = max(x.break_deadline or machine.clock for x in inode.leases)
        if deadline > machine.clock:
            machine.emit(
                EventKind.TIME,
                f"{process.name} waits {deadline - machine.clock:g} s (lease-break-time) for the "
                f"lease holder to let go of {inode.name}",
                file=(inode.name, 0, inode.size),
                until=deadline,
            )
            machine.clock = deadline
        self.advance(machine)

    def before_fault(
        self, machine: Machine, mapping: Mapping, file_offset: int, write: bool, fills: bool
    ) -> None:
        if mapping.file is None:
            return
        inode = machine.inode(mapping.file)
        if write and fills and (inode.leases or mapping.direct):
            # The fault path cannot wait: break_layout_nowait() starts the break and
            # the fault fails (§1.4, §6 "SIGBUS + lease break started").
            if inode.leases:
                _start_break(
                    machine,
                    inode,
                    f"a store at {inode.name} offset {human_offset(file_offset)} "
                    "would allocate or convert blocks",
                )
            raise Signal(
                "SIGBUS",
                f"the store at {inode.name} offset {human_offset(file_offset)} needs a "
                "block-map update, which a MAP_DIRECT lease does not allow from a "
                "fault (§1.4)",
            )

    def advance(self, machine: Machine) -> None:
        for inode in machine.fs.files.values():
            for lease in list(inode.leases):
                if lease.break_deadline is not None and lease.break_deadline <= machine.clock:
                    _revoke(machine, inode, lease)


def _start_break(machine: Machine, inode: Inode, why: str) -> None:
    for lease in inode.leases:
        if lease.break_deadline is not None:
            continue  # already breaking: userspace can only wait, not cancel (§1.4)
        lease.break_deadline = machine.clock + machine.lease_break_time
        machine.emit(
            EventKind.LEASE_BREAK,
            f"{why}: SIGIO to {lease.holder}, whose MAP_DIRECT lease on {inode.name} must be "
            f"released by t={lease.break_deadline:g} s or the mapping is revoked (§1.4)",
            file=(inode.name, 0, inode.size),
            until=lease.break_deadline,
            virtual=(lease.holder, lease.address, lease.address + PAGE_SIZE),
        )


def _revoke(machine: Machine, inode: Inode, lease: Lease) -> None:
    inode.leases.remove(lease)
    mapping = next((m for m in machine.mappings(inode.name) if m.id == lease.mapping_id), None)
    if mapping is None:
        return
    mapping.revoked = True
    machine.emit(
        EventKind.REVOKE,
        f"t={machine.clock:g} s: {lease.holder} did not let go in time; its MAP_DIRECT mapping "
        f"of {inode.name} at {mapping.start:#x} is revoked -- every later access is SIGBUS (§1.4)",
        virtual=(mapping.process, mapping.start, mapping.end),
        file=(inode.name, mapping.file_offset, mapping.file_offset + mapping.length),
    )
    first, stop = mapping.file_pages()
    # map_direct_invalidate() -> unmap_mapping_range() over the mapped file range; it acts on
    # the file, so every process's entries there go (inference, §1.4 "unconfirmed").
    invalidate(machine, inode, first, stop, "revoke", even_cows=False)
