"""Running one scenario command (an xfs_io command or %swapon/%swapoff) on the machine."""

from __future__ import annotations

from collections.abc import Callable

from mapviz.core.commands import files, io, memory, swap
from mapviz.core.commands.context import Context

Handler = Callable[[Context], None]

HANDLERS: dict[str, Handler] = {
    "open": files.open_,
    "file": files.file_,
    "close": files.close,
    "print": files.print_,
    "stat": files.stat,
    "lsattr": files.lsattr,
    "chattr": files.chattr,
    "pwrite": io.pwrite,
    "pread": io.pread,
    "fsync": io.fsync,
    "fdatasync": io.fsync,
    "sync": io.sync,
    "truncate": io.truncate,
    "falloc": io.fallocate,
    "fpunch": io.fallocate,
    "fzero": io.fallocate,
    "fcollapse": io.fallocate,
    "finsert": io.fallocate,
    "funshare": io.fallocate,
    "reflink": io.reflink,
    "dedupe": io.dedupe,
    "swapext": io.swapext,
    "fiemap": io.fiemap,
    "bmap": io.bmap,
    "mmap": memory.mmap,
    "munmap": memory.munmap,
    "mread": memory.mread,
    "mwrite": memory.mwrite,
    "msync": memory.msync,
    "swapon": swap.swapon,
    "swapoff": swap.swapoff,
}

__all__ = ["HANDLERS", "Context", "Handler"]
