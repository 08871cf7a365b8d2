"""copy_file_range(2) and sendfile(2): one call each, as the VFS runs it (§9.8).

``copy_file_range`` checks both files (``generic_copy_file_checks()``),
shortens the count to the source's EOF, then, on a filesystem that can
remap (XFS with reflink), asks ``->remap_file_range()`` with
REMAP_FILE_CAN_SHORTEN to *share* the blocks; any answer that is not a
positive count (unaligned offsets, no reflink, a refusal) falls back to
``do_splice_direct()``, a copy through the page cache, which is all ext4
ever does.  ``sendfile`` is always that copy.  The copy reads the source
through its page cache in pipe-sized pieces and writes each with the
destination's ``->write_iter()``: an ordinary write (delalloc, CoW, O_SYNC,
O_DIRECT all apply).
"""

from __future__ import annotations

from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE, OpenFile, Process
from mapviz.core.ops import direct, readahead, write, writeback
from mapviz.core.ops import remap as remap_ops
from mapviz.core.ops.limits import check_file_limit
from mapviz.core.outcome import Failure, SyscallError

SPLICE_PIECE = 16 * PAGE_SIZE
"""splice_direct_to_actor(): one pipe of PIPE_DEF_BUFFERS pages per read and write."""


def copy_file_range(
    machine: Machine,
    process: Process,
    source: Inode,
    src_file: OpenFile,
    dest: Inode,
    dest_file: OpenFile,
    pos_in: int,
    pos_out: int,
    length: int,
) -> int:
    """One copy_file_range(2) call; returns the bytes copied (0 at the source's EOF)."""
    count = _copy_checks(machine, source, src_file, dest, dest_file, pos_in, pos_out, length)
    if count == 0:
        return 0
    if machine.fs.policy.shares_blocks:
        # vfs_copy_file_range(): same superblock and ->remap_file_range (XFS): clone first
        shared = _try_remap(machine, process, source, dest, pos_in, pos_out, count)
        if shared > 0:
            return shared
    return splice(machine, process, source, src_file, dest, dest_file, pos_in, pos_out, count)


def _copy_checks(
    machine: Machine,
    source: Inode,
    src_file: OpenFile,
    dest: Inode,
    dest_file: OpenFile,
    pos_in: int,
    pos_out: int,
    length: int,
) -> int:
    """generic_copy_file_checks(): the count to copy, or the error (§9.8)."""
    # generic_file_rw_checks()
    if not src_file.readable or not dest_file.writable or dest_file.append:
        why = "open O_APPEND" if dest_file.append else "not open for writing"
        raise SyscallError("EBADF", f"copy_file_range: {dest.name} is {why}")
    if dest.immutable:
        raise SyscallError("EPERM", f"copy_file_range: {dest.name} is immutable (chattr +i)")
    for inode in (source, dest):
        if inode.swapfile:
            raise SyscallError("ETXTBSY", f"copy_file_range: {inode.name} is an active swapfile")
    # "Shorten the copy to EOF"
    count = 0 if pos_in >= source.size else min(length, source.size - pos_in)
    check_file_limit(machine, pos_out + count, "copy_file_range")
    if source is dest and pos_out + count > pos_in and pos_out < pos_in + count:
        raise SyscallError("EINVAL", f"copy_file_range: the two ranges of {source.name} overlap")
    return count


def _try_remap(
    machine: Machine,
    process: Process,
    source: Inode,
    dest: Inode,
    pos_in: int,
    pos_out: int,
    count: int,
) -> int:
    """``->remap_file_range(REMAP_FILE_CAN_SHORTEN)``: the bytes shared, 0 to fall back.

    ``vfs_copy_file_range()``: "fallback to splice" when the clone returns an
    error or nothing; the clone may have flushed both ranges already.
    """
    try:
        return remap_ops.remap(
            machine,
            process,
            source,
            dest,
            True,
            pos_in,
            pos_out,
            count,
            dedupe=False,
            shorten=True,
            verb="copy_file_range",
        )
    except SyscallError:
        return 0


def splice(
    machine: Machine,
    process: Process,
    source: Inode,
    src_file: OpenFile,
    dest: Inode,
    dest_file: OpenFile,
    pos_in: int,
    pos_out: int,
    count: int,
) -> int:
    """do_splice_direct(): copy ``count`` bytes through the page cache; the bytes done.

    Stops early at the source's EOF.  A write that fails after some pieces
    were copied ends the call with what was done (the next call would fail).
    """
    if dest_file.append:
        # do_splice_direct(): "if (unlikely(out->f_flags & O_APPEND)) return -EINVAL"
        raise SyscallError("EINVAL", f"splice: {dest.name} is open O_APPEND")
    done = 0
    while done < count:
        at_in, at_out = pos_in + done, pos_out + done
        # filemap_splice_read() fills one pipe buffer per page (or part of one): the
        # first starts at the offset's place in its page, so a pipe holds that much less
        room = SPLICE_PIECE - (0 if src_file.direct else at_in % PAGE_SIZE)
        piece = min(room, count - done, max(source.size - at_in, 0))
        if piece == 0:
            break
        if src_file.direct and not machine.fs.config.dax:
            got = direct.read(machine, source, at_in, piece, piece)
        else:
            got = readahead.read(machine, src_file, source, at_in, piece, piece)
        if got == 0:
            break
        try:
            # the pipe holds the source's own pages, the data at its offset in them;
            # copy_splice_read() (an O_DIRECT source) reads into fresh pages
            buffer_offset = 0 if src_file.direct else at_in % PAGE_SIZE
            written = _write_piece(machine, process, dest, dest_file, at_out, got, buffer_offset)
        except Failure:
            if done:
                break
            raise
        dest.content.copy_from(source.content, at_in, at_out, written)
        done += written
        if written < got:
            break
    return done


def _write_piece(
    machine: Machine,
    process: Process,
    dest: Inode,
    dest_file: OpenFile,
    at: int,
    count: int,
    buffer_offset: int,
) -> int:
    """iter_file_splice_write() -> vfs_iter_write(): one ``->write_iter()`` of the piece."""
    if dest_file.direct and not machine.fs.config.dax:
        direct.write(machine, process, dest, at, count, 0, count, buffer_offset)
        written = count
    else:
        written = write.write(machine, process, dest, at, count, 0, count, verb="splice")
    if dest_file.sync:
        # generic_write_sync() at the end of ->write_iter() (§9.2)
        writeback.writeback(machine, dest, at, at + written, "an O_SYNC destination")
        machine.fs.force_log()
    return written


def sendfile(
    machine: Machine,
    process: Process,
    source: Inode,
    src_file: OpenFile,
    dest: Inode,
    dest_file: OpenFile,
    offset: int,
    count: int,
) -> int:
    """One sendfile(2) to ``dest_file`` at its file position, which it advances (§9.8)."""
    # do_sendfile(): the input must be readable, the output writable
    if not dest_file.writable:
        raise SyscallError("EBADF", f"sendfile: {dest.name} is not open for writing")
    if dest_file.append:
        # do_splice_direct(): "if (unlikely(out->f_flags & O_APPEND)) return -EINVAL"
        raise SyscallError("EINVAL", f"sendfile: {dest.name} is open O_APPEND")
    done = splice(
        machine, process, source, src_file, dest, dest_file, offset, dest_file.position, count
    )
    dest_file.position += done
    return done
