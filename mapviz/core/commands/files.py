"""xfs_io's file-table commands: open, file, close, print, stat, chattr, lsattr."""

from __future__ import annotations

from mapviz.core.commands.context import Context, may_open
from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.inode import Inode
from mapviz.core.memory import OpenFile
from mapviz.core.ops import blocks
from mapviz.core.ops.setsize import check_size_change, set_size
from mapviz.core.ops.writeback import writeback_all
from mapviz.core.outcome import SyscallError


def open_(ctx: Context) -> None:
    command = ctx.command
    name = command.word(0)
    process = ctx.process
    fs = ctx.machine.fs
    write = not command.has("r")
    inode = fs.files.get(name)
    if "/" in name and inode is None:
        raise SyscallError(
            "ENOENT", f"{name}: there are no directories on the simulated filesystem"
        )
    if inode is None:
        if not command.has("f"):
            raise SyscallError("ENOENT", f"{name}: no such file (open -f creates it)")
        inode = fs.new_inode(name, owner=process.uid)
        ctx.machine.emit(
            EventKind.OPEN,
            f"{process.name} creates {name} (mode 0600, uid {process.uid})",
            file=(name, 0, 0),
        )
    else:
        refused = may_open(process, inode, write or command.has("t"))
        if refused is not None:
            raise refused
    if command.has("t") and inode.size:
        check_size_change(ctx.machine, process, inode, 0, "open O_TRUNC")
        set_size(ctx.machine, inode, 0, "open O_TRUNC")
    process.files.append(OpenFile(name, readable=True, writable=write))
    process.current_file = len(process.files) - 1
    mode = "read-write" if write else "read-only"
    ctx.machine.emit(
        EventKind.OPEN,
        f"{process.name} opens {name} {mode} as file {process.current_file}",
        file=(name, 0, inode.size),
    )


def file_(ctx: Context) -> None:
    process = ctx.process
    if not ctx.command.args:
        print_(ctx)
        return
    index = ctx.command.number(0)
    if index >= len(process.files):
        raise ctx.refuse(
            f"file: no open file number {index} in process {process.name} "
            f"(it has {len(process.files)})"
        )
    process.current_file = index


def close(ctx: Context) -> None:
    entry, inode = ctx.current_file()
    process = ctx.process
    index = process.current_file
    assert index is not None
    del process.files[index]
    process.current_file = min(index, len(process.files) - 1) if process.files else None
    ctx.machine.emit(
        EventKind.CLOSE, f"{process.name} closes {inode.name}", file=(inode.name, 0, inode.size)
    )
    if entry.writable and ctx.machine.fs.config.type == "xfs":
        _xfs_release(ctx, inode)


def _xfs_release(ctx: Context, inode: Inode) -> None:
    """xfs_file_release(): flush after a truncate down; trim post-EOF blocks once (§4.5)."""
    machine = ctx.machine
    if inode.truncated:
        inode.truncated = False
        inode.eofblocks_released = False
        if inode.delalloc_blocks():
            writeback_all(
                machine,
                inode,
                'close after a truncate down starts writeback (the "NULL files" heuristic)',
            )
    still_writing = any(
        f.name == inode.name and f.writable for p in machine.processes.values() for f in p.files
    )
    if inode.eofblocks_released or still_writing:
        return
    # xfs_can_free_eofblocks(): fallocate'd preallocation stays unless delalloc exists.
    if inode.prealloc and not inode.delalloc_blocks():
        return
    first = -(-inode.size // machine.fs.blocksize)
    if inode.data.end_block() > first:
        blocks.unmap(
            machine, inode, first, inode.data.end_block(), "the first close frees blocks past EOF"
        )
    inode.eofblocks_released = True


def print_(ctx: Context) -> None:
    process = ctx.process
    fs_type = ctx.machine.fs.config.type
    for index, entry in enumerate(process.files):
        mode = "read-write" if entry.writable else "read-only"
        mark = f"[{index:03d}]" if index == process.current_file else f" {index:03d} "
        ctx.output.append(f"{mark} {entry.name} ({fs_type},non-sync,non-direct,{mode})")


def stat(ctx: Context) -> None:
    entry, inode = ctx.current_file()
    fs = ctx.machine.fs
    allocated = sum(e.length for e in inode.data if e.physical_block is not None)
    used_blocks = allocated + inode.delalloc_blocks()
    flags = ("i" if inode.immutable else "-") + ("p" if inode.prealloc else "-")
    mode = "read-write" if entry.writable else "read-only"
    ctx.output += [
        f'fd.path = "{inode.name}"',
        f"fd.flags = non-sync,non-direct,{mode}",
        f"stat.ino = {inode.number}",
        "stat.type = regular file",
        f"stat.size = {inode.size}",
        f"stat.blocks = {used_blocks * fs.blocksize // 512}",
        f"fsxattr.xflags = [{flags}]",
        f"fsxattr.nextents = {sum(1 for e in inode.data if e.state is not ExtentState.DELALLOC)}",
    ]


def lsattr(ctx: Context) -> None:
    _entry, inode = ctx.current_file()
    flags = ["-"] * 16
    if inode.immutable:
        flags[2] = "i"
    ctx.output.append(f"{''.join(flags)} {inode.name}")


def chattr(ctx: Context) -> None:
    _entry, inode = ctx.current_file()
    process = ctx.process
    want = ctx.command.word(0).startswith("+")
    if process.uid != inode.owner and not process.capable("fowner"):
        raise SyscallError(
            "EPERM", f"chattr: {process.name} neither owns {inode.name} nor has CAP_FOWNER"
        )
    if want != inode.immutable and not process.capable("linux_immutable"):
        raise SyscallError(
            "EPERM",
            f"chattr: changing the immutable flag needs "
            f"CAP_LINUX_IMMUTABLE, which {process.name} lacks",
        )
    inode.immutable = want
    state = "immutable" if want else "no longer immutable"
    ctx.machine.emit(
        EventKind.FLAGS,
        f"{inode.name} is {state} (its block map is not affected)",
        file=(inode.name, 0, inode.size),
    )
