"""xfs_io's ``copy_range`` and ``sendfile``: copies between two open files (§9.8).

Both are xfs_io 6.1's loops around one system call each
(io/copy_file_range.c, io/sendfile.c), traps included: ``-f N`` reads
``argv[1]`` (the word ``-f`` itself) for N, so the source is always file 0,
and ``copy_range -f`` then closes file 0's descriptor.
"""

from __future__ import annotations

from mapviz.core.commands.context import Context, may_open
from mapviz.core.inode import Inode
from mapviz.core.memory import OpenFile
from mapviz.core.ops import copy as copy_ops
from mapviz.core.ops.release import release
from mapviz.core.outcome import Failure, SyscallError


def copy_range(ctx: Context) -> None:
    """copy_range [-s SRC_OFF] [-d DST_OFF] [-l LEN] FILE | -f N."""
    entry, dest = ctx.current_file()
    command = ctx.command
    source, src_file, opened = _source(ctx)
    pos_in, pos_out = command.option("s", 0) or 0, command.option("d", 0) or 0
    length = command.option("l")
    try:
        if length is None:  # no -l: from SRC_OFF to the source's EOF (copy_src_filesize())
            length = max(source.size - pos_in, 0)
        # copy_file_range_cmd(): a do-while loop (one call even for a length of 0, which
        # still has its checks); again with the offsets the kernel moved, until the
        # length is done or a call copies nothing
        while True:
            done = copy_ops.copy_file_range(
                ctx.machine, ctx.process, source, src_file, dest, entry, pos_in, pos_out, length
            )
            pos_in, pos_out, length = pos_in + done, pos_out + done, length - done
            if done == 0 or length <= 0:
                break
    except Failure:
        # copy_range_f() returns the errno, which ends xfs_io: the xfs_io that
        # takes its place opens every file again (as after a SIGBUS)
        _restarted(ctx)
        raise
    finally:
        if opened:
            release(ctx.machine, source, False)
    if not opened:
        # copy_range_f() ends with close(fd): file 0's own descriptor
        src_file.closed = True


def sendfile(ctx: Context) -> None:
    """sendfile [-q] -i FILE | -f N [OFF LEN]: from the source to the current file's position."""
    entry, dest = ctx.current_file()
    command = ctx.command
    source, src_file, opened = _source(ctx)
    words = 1 if opened else 0  # -i FILE is the first argument
    try:
        if len(command.args) > words:
            offset, count = command.number(words), command.number(words + 1)
        else:
            offset, count = 0, source.size  # fstat(): the whole source
        total = 0
        # send_buffer(): sendfile() until it returns 0 or all was sent
        while count - total > 0:
            done = copy_ops.sendfile(
                ctx.machine,
                ctx.process,
                source,
                src_file,
                dest,
                entry,
                offset + total,
                count - total,
            )
            if done == 0:
                break
            total += done
    finally:
        if opened:
            release(ctx.machine, source, False)
    if not command.has("q"):
        ctx.output.append(f"sent {total}/{count} bytes at offset {offset}")


def _restarted(ctx: Context) -> None:
    """A new xfs_io: its globals unset, its files opened again (positions 0)."""
    process = ctx.process
    process.io_vectors = process.io_buffer = 0
    for entry in process.files:
        entry.position, entry.closed = 0, False


def _source(ctx: Context) -> tuple[Inode, OpenFile, bool]:
    """The file to copy from, its open file, and whether xfs_io opened it for the command.

    ``-f N``: xfs_io takes N from ``atoi(argv[1])``, which is the word ``-f``:
    file 0, whatever N says.  Otherwise xfs_io opens FILE read-only itself.
    """
    command = ctx.command
    if command.option("f") is not None:
        entry = ctx.process.files[0]
        if entry.closed:
            raise SyscallError(
                "EBADF", f"{command.name}: file 0's descriptor was closed by copy_range -f"
            )
        return ctx.machine.inode(entry.name), entry, False
    name = command.word(0)
    inode = ctx.lookup(name)
    refused = may_open(ctx.process, inode, False)
    if refused is not None:
        raise refused
    return inode, OpenFile(name, readable=True, writable=False), True
