"""Running one scenario command (an xfs_io command or %swapon/%swapoff) on the machine."""

from __future__ import annotations

from collections.abc import Callable

from mapviz.core.commands import copy, exchange, files, hints, io, memory, mremap, swap
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
    "mremap": mremap.mremap,
    "mread": memory.mread,
    "mwrite": memory.mwrite,
    "msync": memory.msync,
    "madvise": memory.madvise,
    "mincore": memory.mincore,
    "fadvise": io.fadvise,
    "resvsp": io.preallocate,
    "unresvsp": io.preallocate,
    "zero": io.preallocate,
    "sync_range": io.sync_range,
    "seek": io.seek,
    "copy_range": copy.copy_range,
    "extsize": hints.extsize,
    "cowextsize": hints.cowextsize,
    "exchangerange": exchange.exchangerange,
    "sendfile": copy.sendfile,
    "swapon": swap.swapon,
    "swapoff": swap.swapoff,
}

# xfs_io's command flags (io/*.c): which commands run with no file open
# (CMD_NOFILE_OK) and which need a mapping (no CMD_NOMAP_OK).  The rest need
# an open file; xfs_io checks before it parses anything (io/init.c
# init_check_command()).  %swapon / %swapoff act on the current file too.
FILELESS = frozenset(
    {
        "open",
        "print",
        "sync",
        "mmap",
        "mread",
        "mwrite",
        "msync",
        "munmap",
        "mremap",
        "madvise",
        "mincore",
    }
)
MAPPED = frozenset({"mread", "mwrite", "msync", "munmap", "mremap", "madvise", "mincore"})


def run_command(ctx: Context) -> None:
    """Run ``ctx.command``: xfs_io's own checks first, then its handler.

    Raises :class:`~mapviz.core.outcome.NotIssued` for a command xfs_io would
    not issue (no file, no mapping), and whatever the handler raises.
    """
    name = ctx.command.name
    if name in MAPPED:
        ctx.current_mapping()
    elif name not in FILELESS:
        ctx.need_file()
    HANDLERS[name](ctx)


__all__ = ["FILELESS", "HANDLERS", "MAPPED", "Context", "Handler", "run_command"]
