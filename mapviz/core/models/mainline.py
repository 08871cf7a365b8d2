"""``mainline``: what Linux does today (kernel-semantics §1.6, §3, §6 column 1-2).

There is no MAP_DIRECT: xfs_io's ``-D`` adds an unknown flag to a plain
MAP_SHARED mmap, which ``do_mmap()`` silently strips (``flags &=
LEGACY_MAP_MASK``).  MAP_SYNC (``-S``, sent with MAP_SHARED_VALIDATE as
xfs_io does) works only on DAX files (EOPNOTSUPP otherwise, §3.4).  Active
swapfiles pin their block map; that rule is the same in every model and
lives with the operations.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from mapviz.core.models.base import KernelModel, MmapRequest
from mapviz.core.outcome import SyscallError

if TYPE_CHECKING:
    from mapviz.core.inode import Inode
    from mapviz.core.machine import Machine
    from mapviz.core.memory import Process


class Mainline(KernelModel):
    name = "mainline"
    summary = "today's Linux: page cache or DAX, MAP_SYNC on DAX, swapfiles pin their block map"

    def read_flags(self, request: MmapRequest, direct_flag: bool, sync_flag: bool) -> MmapRequest:
        # -D: an unknown bit under plain MAP_SHARED is stripped (do_mmap, §1.6).
        return replace(request, direct=False, sync=sync_flag, validate=sync_flag)

    def validate_mmap(
        self, machine: Machine, process: Process, inode: Inode | None, request: MmapRequest
    ) -> None:
        check_map_sync(machine, inode, request)


def check_map_sync(machine: Machine, inode: Inode | None, request: MmapRequest) -> None:
    """MAP_SYNC rules shared by the models that have it (§1.6, §3.4)."""
    if request.anonymous and request.validate:
        # do_mmap(): anonymous mappings know only MAP_SHARED and MAP_PRIVATE.
        raise SyscallError(
            "EINVAL", "mmap: MAP_SHARED_VALIDATE is not a type an anonymous mapping can have"
        )
    if request.sync and inode is not None and not machine.fs.config.dax:
        # xfs_file_mmap()/ext4: daxdev_mapping_supported() fails for VM_SYNC on a
        # non-DAX inode; observed for MAP_SHARED_VALIDATE, MAP_SHARED and MAP_PRIVATE (§3.4).
        raise SyscallError(
            "EOPNOTSUPP",
            f"mmap: MAP_SYNC needs a DAX file; {inode.name} goes through the page cache",
        )
