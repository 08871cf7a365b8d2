"""xfs_io's data and block-map commands: pwrite, pread, sync family, truncate,
fallocate family, reflink, dedupe, swapext, fiemap, bmap."""

from __future__ import annotations

from mapviz.core.commands import xfs_io_writes
from mapviz.core.commands.context import Context, may_open
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import OpenFile
from mapviz.core.ops import advice as advice_ops
from mapviz.core.ops import direct, readahead, setsize, write, writeback
from mapviz.core.ops import fallocate as falloc_ops
from mapviz.core.ops import remap as remap_ops
from mapviz.core.ops.fallocate import Mode
from mapviz.core.ops.release import release
from mapviz.core.outcome import SyscallError
from mapviz.core.seek import data_ranges, run_seek

PWRITE_FILL = 0xCD  # xfs_io's default pwrite pattern (conformance README)


def pwrite(ctx: Context) -> None:
    entry, inode = ctx.current_file()
    command = ctx.command
    machine = ctx.machine
    offset, length = command.number(0), command.number(1)
    seed = command.option("S")
    fill = PWRITE_FILL if seed is None else seed & 0xFF
    # xfs_io's pwrite_f(): "bsize = fsblocksize" from init_cvtnum(): the XFS
    # geometry's block size, 4096 for a foreign (non-XFS) file.  One write(2) each.
    default = 4096 if machine.fs.policy.xfs_io_foreign else machine.fs.blocksize
    chunk = command.option("b", default) or default
    process = ctx.process
    vectors = command.option("V")
    if vectors is not None:
        process.io_vectors = vectors  # a global of xfs_io: later pwrites keep it (§9.4)
    vectors = process.io_vectors
    if not vectors:  # alloc_buffer(): the plain buffer grows to the largest size asked
        process.io_buffer = max(process.io_buffer, chunk)
    if vectors > _IOV_MAX:
        raise SyscallError("EINVAL", f"pwritev: {vectors} vectors, more than IOV_MAX ({_IOV_MAX})")
    # RWF_DSYNC / RWF_NOWAIT go with pwritev2() only: without -V they are dropped (§9.4)
    dsync = bool(vectors) and command.has("D")
    backward = next((f for f in reversed(command.flags) if f in "BF"), "F") == "B"
    if backward:
        calls, reported = xfs_io_writes.backward_calls(offset, length, chunk, vectors)
    elif vectors:
        calls, reported = xfs_io_writes.forward_calls(offset, length, chunk, vectors), length
    elif entry.sync:
        # each write(2) of the run is synced before the next (generic_write_sync(), §9.2)
        calls = [
            (at, min(chunk, offset + length - at)) for at in range(offset, offset + length, chunk)
        ] or [(offset, 0)]
        reported = length
    else:
        calls, reported = [(offset, length)], length  # write_buffer()'s pieces: ops/write.py
    # one system call per entry, except the plain forward run, cut into -b pieces by ops
    piece = None if backward or vectors else chunk
    total = 0
    for at, count in calls:
        written = _write_call(ctx, entry, inode, at, count, fill, piece or count)
        if entry.sync or dsync:
            # O_SYNC / RWF_DSYNC: generic_write_sync() -> vfs_fsync_range() (§9.2)
            start = inode.size - written if entry.append else at
            writeback.writeback(machine, inode, start, start + written, "a synchronous write")
            machine.fs.force_log()  # xfs_file_fsync() forces the log (§4.5)
        total += written
        if written < count:
            break  # a short write: xfs_io's loops stop without an error
    if not command.has("q"):
        ctx.output.append(f"wrote {total}/{reported} bytes at offset {offset}")
    if command.has("w") or command.has("W"):
        writeback.fsync(machine, inode, "pwrite -w/-W syncs after writing")


_IOV_MAX = 1024


def _write_call(
    ctx: Context,
    entry: OpenFile,
    inode: Inode,
    offset: int,
    length: int,
    fill: int,
    chunk: int,
) -> int:
    """One write system call (or xfs_io's chunked run of them), per the fd's flags.

    Returns the bytes written (fewer after a short write).
    """
    machine = ctx.machine
    command = ctx.command
    if not entry.writable:  # (a pwrite -B that makes no call cannot fail)
        raise SyscallError("EBADF", f"pwrite: {inode.name} is open read-only")
    if ctx.process.io_vectors and command.has("N"):  # RWF_NOWAIT rides pwritev2() only
        policy = machine.fs.policy
        if not policy.buffered_nowait and not entry.direct:
            # ext4_buffered_write_iter() refuses IOCB_NOWAIT before any other check
            raise SyscallError(
                "EOPNOTSUPP", f"pwritev2 RWF_NOWAIT: {policy.name} buffered writes cannot"
            )
        if policy.dio_checks_alignment_first and entry.direct:
            direct.check_alignment(offset, length, "pwrite")  # xfs_file_dio_write() first
        # otherwise the write checks come first: an immutable ext4 file, a swapfile
        policy.write_checks(inode)
        if inode.swapfile:
            raise SyscallError("ETXTBSY", f"{inode.name} is an active swapfile: writes are refused")
        _check_nowait(machine, entry, inode, offset, length)
    # O_APPEND: every write(2) goes to EOF, whatever the offset (§9.2); xfs_io
    # still reports the offset it asked for
    at = inode.size if entry.append else offset
    if entry.direct and not machine.fs.config.dax:
        direct.write(machine, ctx.process, inode, at, length, fill, chunk)
        return length
    return write.write(machine, ctx.process, inode, at, length, fill, chunk)


def _check_nowait(
    machine: Machine, entry: OpenFile, inode: Inode, offset: int, length: int
) -> None:
    """RWF_NOWAIT: EAGAIN (or EOPNOTSUPP) where the write would have to wait (§9.4)."""
    if machine.fs.policy.nowait_needs_times_update:
        # xfs_file_write_checks() -> kiocb_modified(): updating the file's times needs a
        # transaction, so a NOWAIT write gives up -- and after a stat, which the
        # recorder makes every step, the times always need it (multigrain ctime)
        raise SyscallError(
            "EAGAIN", f"pwritev2 RWF_NOWAIT: {inode.name}'s times must be updated, which may block"
        )
    if not entry.direct and not machine.fs.policy.buffered_nowait:
        # ext4_buffered_write_iter(): no IOCB_NOWAIT for buffered writes
        raise SyscallError(
            "EOPNOTSUPP", f"pwritev2 RWF_NOWAIT: {machine.fs.policy.name} buffered writes cannot"
        )
    # ext4_dio_write_checks(): only an aligned overwrite inside EOF may go without waiting
    bs = machine.fs.blocksize
    first, stop = machine.fs.block_range(offset, offset + length)
    if (
        offset + length > inode.size
        or (offset | length) % bs
        or any(extent is None for _, _, extent in inode.data.walk(first, stop))
    ):
        raise SyscallError(
            "EAGAIN",
            f"pwritev2 RWF_NOWAIT: {inode.name} {machine.span(offset, offset + length)} is not "
            "an aligned overwrite inside EOF: it would wait for allocation or locks",
        )


def pread(ctx: Context) -> None:
    entry, inode = ctx.current_file()
    offset, length = ctx.command.number(0), ctx.command.number(1)
    # xfs_io's pread_f(): read(2) calls of "bsize = fsblocksize" (4096 on a foreign file)
    default = 4096 if ctx.machine.fs.policy.xfs_io_foreign else ctx.machine.fs.blocksize
    chunk = ctx.command.option("b", default) or default
    if not ctx.process.io_vectors:
        ctx.process.io_buffer = max(ctx.process.io_buffer, chunk)
    if ctx.machine.fs.config.dax:
        done = write.read(ctx.machine, inode, offset, length)
    elif entry.direct:
        done = direct.read(ctx.machine, inode, offset, length, chunk)
    else:
        done = readahead.read(ctx.machine, entry, inode, offset, length, chunk)
    if not ctx.command.has("q"):
        ctx.output.append(f"read {done}/{length} bytes at offset {offset}")


def fadvise(ctx: Context) -> None:
    """posix_fadvise(2) (§9.5).  xfs_io checks ``posix_fadvise() < 0``, which never
    holds (it returns an error number), so the command never reports a failure."""
    entry, inode = ctx.current_file()
    command = ctx.command
    advice = next((f for f in reversed(command.flags) if f in "dnrsw"), "")
    offset, length = (command.number(0), command.number(1)) if command.args else (0, 0)
    if advice == "w":
        advice_ops.fadvise_willneed(ctx.machine, inode, offset, length)
    elif advice == "d":
        advice_ops.fadvise_dontneed(ctx.machine, inode, offset, length)
    elif advice in ("r", "s", ""):
        # generic_fadvise(): RANDOM sets FMODE_RANDOM; SEQUENTIAL doubles the window
        entry.ra_random = advice == "r"
        entry.ra_max = 2 * readahead.RA_PAGES if advice == "s" else 0
    # "n" (NOREUSE) only changes how the pages age on the LRU lists


def seek(ctx: Context) -> None:
    """lseek(2) SEEK_DATA / SEEK_HOLE, printed as xfs_io's seek_f() prints (§9.6).

    Each lseek() that succeeds moves the file position, which ``sendfile``
    writes at (§9.8).
    """
    entry, inode = ctx.current_file()
    command = ctx.command
    run = run_seek(
        data_ranges(ctx.machine, inode),
        inode.size,
        command.number(0),
        data=command.has("a") or command.has("d"),
        hole=command.has("a") or command.has("h"),
        repeat=command.has("r"),
        show_start=command.has("s"),
    )
    ctx.output.extend(run.lines)
    if run.position is not None:
        entry.position = run.position


def fsync(ctx: Context) -> None:
    _entry, inode = ctx.current_file()
    writeback.fsync(ctx.machine, inode, ctx.command.name)


def sync(ctx: Context) -> None:
    for inode in list(ctx.machine.fs.files.values()):
        writeback.flush_all(ctx.machine, inode, "sync")
        inode.dirty_pages = False  # __writeback_single_inode() clears I_DIRTY_PAGES
    ctx.machine.fs.force_log()  # xfs_fs_sync_fs(): xfs_log_force(XFS_LOG_SYNC), §4.5


def truncate(ctx: Context) -> None:
    entry, inode = ctx.current_file()
    if not entry.writable:
        raise SyscallError("EINVAL", f"ftruncate: {inode.name} is open read-only")
    setsize.truncate(ctx.machine, ctx.process, inode, ctx.command.number(0), "truncate")


_FALLOC_MODES = {
    "fpunch": (Mode.PUNCH, True),
    "fzero": (Mode.ZERO, False),
    "fcollapse": (Mode.COLLAPSE, False),
    "finsert": (Mode.INSERT, False),
    "funshare": (Mode.UNSHARE, False),
}
_FALLOC_FLAG_MODES = {
    "": (Mode.ALLOCATE, False),
    "k": (Mode.ALLOCATE, True),
    "p": (Mode.PUNCH, True),
    "c": (Mode.COLLAPSE, False),
    "u": (Mode.UNSHARE, False),
}


def fallocate(ctx: Context) -> None:
    entry, inode = ctx.current_file()
    command = ctx.command
    if command.name == "falloc":
        # xfs_io's fallocate_f() *assigns* the mode for each of -c -k -p -u
        # (``mode = FALLOC_FL_...``), so the last of them wins: ``-kc`` is a
        # collapse, ``-ck`` a KEEP_SIZE preallocation; -p is PUNCH_HOLE|KEEP_SIZE.
        last = next((f for f in reversed(command.flags) if f in "kpcu"), "")
        mode, keep = _FALLOC_FLAG_MODES[last]
    else:
        mode, keep = _FALLOC_MODES[command.name]
        keep = keep or command.has("k")
    falloc_ops.fallocate(
        ctx.machine,
        ctx.process,
        inode,
        entry.writable,
        mode,
        keep,
        command.number(0),
        command.number(1),
    )


# The XFS_IOC_{RESVSP64,UNRESVSP64,ZERO_RANGE} ioctls: the VFS turns each into a
# fallocate that keeps the size (fs/ioctl.c ioctl_preallocate(), §9.7)
_PREALLOCATE = {"resvsp": Mode.ALLOCATE, "unresvsp": Mode.PUNCH, "zero": Mode.ZERO}


def preallocate(ctx: Context) -> None:
    entry, inode = ctx.current_file()
    command = ctx.command
    if command.name != "resvsp" and ctx.machine.fs.policy.xfs_io_foreign:
        # xfs_io's prealloc.c: only resvsp is CMD_FOREIGN_OK (§9.7)
        raise ctx.refuse(f"foreign file active, {command.name} command is for XFS filesystems only")
    falloc_ops.fallocate(
        ctx.machine,
        ctx.process,
        inode,
        entry.writable,
        _PREALLOCATE[command.name],
        True,
        command.number(0),
        command.number(1),
    )


def sync_range(ctx: Context) -> None:
    """sync_file_range(2): only SYNC_FILE_RANGE_WRITE (the default) starts writeback (§9.7)."""
    _entry, inode = ctx.current_file()
    command = ctx.command
    mode = next((f for f in reversed(command.flags) if f in "abw"), "w")  # assigned: last wins
    if mode == "w":
        offset, length = command.number(0), command.number(1)
        # nbytes 0: "to the end of the file", endbyte LLONG_MAX -- so the page that
        # holds OFF is written back even when OFF is at EOF (kernel_diff seed 60227)
        end = (1 << 63) - 1 if length == 0 else offset + length
        why = "sync_file_range WRITE starts writeback (nobody waits)"
        writeback.writeback(ctx.machine, inode, offset, end, why)


def reflink(ctx: Context) -> None:
    entry, dest = ctx.current_file()
    command = ctx.command
    source = _open_other(ctx, command.word(0), write=False)
    if len(command.args) == 4:
        src, dst, length = command.number(1), command.number(2), command.number(3)
    else:
        src, dst, length = 0, 0, 0  # FICLONE: the whole source
    try:
        remap_ops.remap(
            ctx.machine,
            ctx.process,
            source,
            dest,
            entry.writable,
            src,
            dst,
            length,
            dedupe=False,
            dest_append=entry.append,
        )
    finally:
        _close_other(ctx, source, write=False)
    done = length or source.size
    ctx.output.append(f"linked {done}/{done} bytes at offset {dst}")


def dedupe(ctx: Context) -> None:
    entry, dest = ctx.current_file()
    command = ctx.command
    source = _open_other(ctx, command.word(0), write=False)
    src, dst, length = command.number(1), command.number(2), command.number(3)
    try:
        remap_ops.remap(
            ctx.machine, ctx.process, source, dest, entry.writable, src, dst, length, dedupe=True
        )
    finally:
        _close_other(ctx, source, write=False)
    ctx.output.append(f"deduped {length}/{length} bytes at offset {dst}")


def swapext(ctx: Context) -> None:
    entry, target = ctx.current_file()
    if not ctx.machine.fs.policy.xfs_ioctls:
        raise SyscallError(
            "ENOTTY",
            "swapext: XFS_IOC_SWAPEXT is an XFS ioctl; on ext4 it is "
            '"Inappropriate ioctl for device"',
        )
    donor = _open_other(ctx, ctx.command.word(0), write=True)  # xfs_io opens it first
    try:
        remap_ops.swapext(
            ctx.machine, ctx.process, target, entry.writable, donor, target_append=entry.append
        )
    finally:
        _close_other(ctx, donor, write=True)


def fiemap(ctx: Context) -> None:
    """FS_IOC_FIEMAP of the data fork (or, ``-a``, the attribute fork) (§4.2).

    The table itself is printed from the step's map (report/transcript.py).
    """
    _entry, inode = ctx.current_file()
    command = ctx.command
    if len(command.args) == 2 and command.number(1) == 0:
        # fiemap_prep(): a zero length is refused before anything is flushed
        raise SyscallError("EINVAL", "ioctl(FS_IOC_FIEMAP): a length of 0 is invalid")
    # xfs_io passes FIEMAP_FLAG_SYNC: fiemap_prep() writes the whole file back
    # first, whichever fork or range is asked for (§4.2).
    writeback.writeback_all(ctx.machine, inode, "fiemap (FIEMAP_FLAG_SYNC) flushes first")


def bmap(ctx: Context) -> None:
    _entry, inode = ctx.current_file()
    command = ctx.command
    if not ctx.machine.fs.policy.xfs_ioctls:
        raise SyscallError("ENOTTY", "bmap: XFS_IOC_GETBMAPX is an XFS ioctl")
    if command.has("c"):
        # xfs_getbmap(): "Only allow CoW fork queries if we're debugging" (§4.2)
        raise SyscallError("EINVAL", "bmap -c: the CoW fork is reported by DEBUG kernels only")
    if command.has("a"):
        return  # no attribute fork: nothing to report, nothing flushed
    # xfs_getbmap() flushes only if there is delalloc (i_delayed_blks) or the
    # in-memory size is past the on-disk one, and not when asked for delalloc (§4.2).
    if not command.has("e") and (inode.delalloc_blocks() or inode.size > inode.disk_size):
        writeback.writeback_all(ctx.machine, inode, "bmap (GETBMAPX) flushes first")


def _open_other(ctx: Context, name: str, *, write: bool) -> Inode:
    """A file xfs_io opens itself for the command (reflink's INFILE, swapext's DONOR)."""
    inode = ctx.lookup(name)
    refused = may_open(ctx.process, inode, write)
    if refused is not None:
        raise refused
    return inode


def _close_other(ctx: Context, inode: Inode, *, write: bool) -> None:
    """xfs_io closes the file it opened for the command: ->release() (ops/release.py)."""
    release(ctx.machine, inode, write)
