"""xfs_io's file-table commands: open, file, close, print, stat, chattr, lsattr."""

from __future__ import annotations

import itertools
from dataclasses import replace

from mapviz.core.commands.context import Context, may_open
from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.memory import OpenFile, Process
from mapviz.core.ops.release import release, xfs_blockgc_free_space
from mapviz.core.ops.setsize import check_size_change, setattr_size
from mapviz.core.ops.writeback import writeback_all
from mapviz.core.outcome import NO_FILES, SyscallError

_SERIALS = itertools.count(1)


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
    created = inode is None
    if inode is None:
        if not command.has("f"):
            raise SyscallError("ENOENT", f"{name}: no such file (open -f creates it)")
        _create_space(ctx, name)
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
    # do_open(): an open that created the file drops O_TRUNC, so no truncate
    # and none of its close-time flushes follow (§9.1)
    if command.has("t") and not created:
        # O_TRUNC always ends in notify_change(ATTR_SIZE, 0), even for an empty file
        check_size_change(ctx.machine, process, inode, 0, "open O_TRUNC")
        setattr_size(ctx.machine, inode, 0, "open O_TRUNC")
    process.files.append(
        OpenFile(
            name,
            readable=True,
            writable=write,
            serial=next(_SERIALS),
            sync=command.has("s"),
            append=command.has("a"),
            direct=command.has("d"),
        )
    )
    process.current_file = len(process.files) - 1
    _reuse_closed_descriptor(process)
    mode = "read-write" if write else "read-only"
    ctx.machine.emit(
        EventKind.OPEN,
        f"{process.name} opens {name} {mode} as file {process.current_file}",
        file=(name, 0, inode.size),
    )


def _reuse_closed_descriptor(process: Process) -> None:
    """open(2) returns the lowest free descriptor: one that ``copy_range -f`` closed
    behind xfs_io's back (§9.8).  Its stale table entry then names the new file too."""
    stale = next((i for i, f in enumerate(process.files) if f.closed), None)
    if stale is not None:
        process.files[stale] = replace(process.files[-1])  # the same open file


def _create_space(ctx: Context, name: str) -> None:
    """xfs_create(): reserve its blocks; on ENOSPC run blockgc (xfs_trans_alloc), then
    flush every inode and try again (xfs_flush_inodes), then give up."""
    machine = ctx.machine
    needed = machine.fs.policy.create_space_res(machine.fs.geometry)
    if needed is None:
        return
    why = f"creating {name}"
    if machine.fs.available() < needed:
        xfs_blockgc_free_space(machine, sync=False, why=why)
    if machine.fs.available() < needed:
        xfs_blockgc_free_space(machine, sync=True, why=why)
    if machine.fs.available() < needed:
        raise SyscallError(
            "ENOSPC",
            f"open: creating {name} needs {needed} free blocks for the inode chunk and the "
            f"directory (XFS_CREATE_SPACE_RES); {machine.fs.available()} are left",
        )


def file_(ctx: Context) -> None:
    process = ctx.process
    if not process.files:
        raise ctx.refuse(NO_FILES)  # `file` needs an open file (io/init.c)
    if not ctx.command.args:
        print_(ctx)
        return
    index = ctx.command.number(0)
    if index >= len(process.files):
        # io/file.c filelist_f(): the index must name an open file
        raise ctx.refuse(f"value {index} is out of range (0-{len(process.files) - 1})")
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
    # ->release() runs at the last fput(): a mapping made through this fd keeps it open.
    if not any(m.opened == entry.serial for m in process.mappings if m.opened):
        release(ctx.machine, inode, entry.writable)


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
    if want and not inode.immutable and ctx.machine.fs.policy.flushes_before_immutable:
        # ext4_ioctl_setflags(): "flush all the dirty pages for this file" before
        # setting EXT4_IMMUTABLE_FL (XFS does not).
        writeback_all(ctx.machine, inode, "chattr +i flushes the file first (ext4)")
    inode.immutable = want
    state = "immutable" if want else "no longer immutable"
    ctx.machine.emit(
        EventKind.FLAGS,
        f"{inode.name} is {state} (its block map is not affected)",
        file=(inode.name, 0, inode.size),
    )
