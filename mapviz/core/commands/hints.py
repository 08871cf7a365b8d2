"""xfs_io's ``extsize`` and ``cowextsize``: XFS's extent size hints (§9.11).

Both read the hint with FS_IOC_FSGETXATTR and print ``[BYTES] NAME``, or set
it with FS_IOC_FSSETXATTR (the hint's flag on, the size in bytes).  ``-R``
descends from the file's path (on a file: the file itself, through a new
read-only descriptor); ``-D`` only touches directories, of which mapviz has
none: nothing happens.  xfs_io will not issue either on ext4 (not CMD_FOREIGN_OK).
"""

from __future__ import annotations

from mapviz.core.commands.context import Context
from mapviz.core.events import EventKind
from mapviz.core.inode import Inode
from mapviz.core.outcome import SyscallError

XFS_MAX_BMBT_EXTLEN = (1 << 21) - 1  # blocks in one extent record (xfs_inode_validate_extsize)


def extsize(ctx: Context) -> None:
    _hint(ctx, cow=False)


def cowextsize(ctx: Context) -> None:
    _hint(ctx, cow=True)


def _hint(ctx: Context, *, cow: bool) -> None:
    _entry, inode = ctx.current_file()
    command = ctx.command
    machine = ctx.machine
    if machine.fs.policy.xfs_io_foreign:  # not CMD_FOREIGN_OK
        raise ctx.refuse(f"foreign file active, {command.name} command is for XFS filesystems only")
    if command.has("D"):
        return  # nftw() from a file: the callback skips everything that is not a directory
    bs = machine.fs.blocksize
    if not command.args:
        blocks = inode.cowextsize if cow else inode.extsize
        ctx.output.append(f"[{blocks * bs}] {inode.name}")
        return
    size = command.number(0)
    _check(ctx, inode, size, cow=cow)
    if cow:
        inode.cowextsize = size // bs
    else:
        inode.extsize = size // bs
    what = "CoW extent size hint" if cow else "extent size hint"
    set_to = f"{size // bs} blocks" if size else "none"
    machine.emit(
        EventKind.FLAGS,
        f"{inode.name}'s {what} is now {set_to}: "
        + (
            "copy-on-write staging is aligned to it"
            if cow
            else "writes into holes allocate whole, aligned runs at once (no delalloc)"
        ),
        file=(inode.name, 0, inode.size),
    )


def _check(ctx: Context, inode: Inode, size: int, *, cow: bool) -> None:
    """fileattr_set_prepare() and xfs_ioctl_setattr_check_{,cow}extsize() (§9.11)."""
    machine, process = ctx.machine, ctx.process
    call = f"FS_IOC_FSSETXATTR {inode.name}"
    # vfs_fileattr_set(): inode_owner_or_capable()
    if process.uid != inode.owner and not process.capable("fowner"):
        raise SyscallError("EPERM", f"{call}: {process.name} neither owns it nor has CAP_FOWNER")
    bs = machine.fs.blocksize
    blocks = size // bs
    # a regular file with data -- extents or delalloc, xfs_inode_has_filedata():
    # if_nextents || i_delayed_blks -- may not change its hint
    changes = not cow and inode.extsize * bs != size
    if changes and (inode.data or inode.delalloc_blocks()):
        raise SyscallError(
            "EINVAL", f"{call}: {inode.name} already has data; its hint cannot change"
        )
    if size % bs:
        raise SyscallError("EINVAL", f"{call}: {size} is not a multiple of the block size")
    if size == 0:
        return  # "Extent size hints of zero turn off the flags."
    if cow and not machine.fs.config.reflink:
        raise SyscallError("EINVAL", f"{call}: a CoW extent size hint needs reflink")
    if blocks > XFS_MAX_BMBT_EXTLEN or blocks > machine.fs.geometry.ag_blocks // 2:
        raise SyscallError(
            "EINVAL", f"{call}: {blocks} blocks is more than half an allocation group"
        )
