"""``exchangerange [-f] [-n] [-s SRC_OFF] [-d DST_OFF] [-l LEN] DONOR`` (xfs_io 6.10+, §9.10).

xfs_io's io/exchrange.c: the current file is file2 (the ioctl's target),
DONOR is file1, which xfs_io opens read-write and closes afterwards; ``-s`` is
the donor's offset, ``-d`` the current file's; without ``-l`` the exchange runs
to EOF (XFS_EXCHANGE_RANGE_TO_EOF, sizes exchanged too).  ``-f`` asks for
XFS_EXCHANGE_RANGE_DSYNC, ``-n`` for a dry run.  This machine's xfs_io 6.1 lacks
the command: ``mapviz run --real`` issues the ioctl itself.
"""

from __future__ import annotations

from mapviz.core.commands.context import Context, may_open
from mapviz.core.ops.exchange import Exchange, exchange_range
from mapviz.core.ops.release import release


def exchangerange(ctx: Context) -> None:
    entry, target = ctx.current_file()
    command = ctx.command
    if ctx.machine.fs.policy.xfs_io_foreign:
        # exchangerange is not CMD_FOREIGN_OK: xfs_io will not issue it on ext4
        raise ctx.refuse("foreign file active, exchangerange command is for XFS filesystems only")
    donor = ctx.lookup(command.word(0))
    refused = may_open(ctx.process, donor, True)  # openfile(donor, O_RDWR)
    if refused is not None:
        raise refused
    length = command.option("l")
    request = Exchange(
        offset1=command.option("s", 0) or 0,
        offset2=command.option("d", 0) or 0,
        length=target.size if length is None else length,  # fstat() of the current file
        to_eof=length is None,
        dsync=command.has("f"),
        dry_run=command.has("n"),
    )
    try:
        exchange_range(
            ctx.machine, ctx.process, donor, target, entry.writable, entry.append, request
        )
    finally:
        release(ctx.machine, donor, True)  # close(fd) of the donor
