"""xfs_io's memory commands: mmap, munmap, mread, mwrite, msync (plus ``mmap -A``)."""

from __future__ import annotations

from mapviz.core.commands.context import Context
from mapviz.core.events import EventKind
from mapviz.core.inode import Inode
from mapviz.core.memory import PAGE_SIZE, Mapping
from mapviz.core.models.base import MmapRequest
from mapviz.core.ops import advice as advice_ops
from mapviz.core.ops.fault import touch
from mapviz.core.ops.pages import zap
from mapviz.core.ops.release import release
from mapviz.core.ops.writeback import writeback
from mapviz.core.outcome import NO_FILES, NO_MAPPINGS, Signal, SyscallError

MWRITE_FILL = ord("X")  # xfs_io's default mwrite pattern


def mmap(ctx: Context) -> None:
    command = ctx.command
    process = ctx.process
    listing = not command.args or (len(command.args) == 1 and not command.has("A"))
    # io/mmap.c mmap_f(): listing or choosing needs a mapping, mapping needs a file
    if listing and not process.mappings:
        raise ctx.refuse(NO_MAPPINGS if process.files else NO_FILES)
    if not command.args:
        _list(ctx)
        return
    if len(command.args) == 1 and not command.has("A"):
        index = command.number(0)
        if index >= len(process.mappings):
            raise ctx.refuse(f"value {index} is out of range (0-{len(process.mappings) - 1})")
        process.current_mapping = index
        return
    if not command.has("A") and not process.files:
        raise ctx.refuse(NO_FILES)
    _map(ctx)


def _map(ctx: Context) -> None:
    command = ctx.command
    machine = ctx.machine
    process = ctx.process
    anonymous = command.has("A")
    offset, length = (0, command.number(0)) if anonymous else (command.number(0), command.number(1))
    any_prot = command.has("r") or command.has("w") or command.has("x")
    request = MmapRequest(
        length=length,
        file_offset=offset,
        readable=command.has("r") or not any_prot,
        writable=command.has("w") or not any_prot,
        executable=command.has("x") or not any_prot,
        shared=not command.has("P"),
        validate=False,
        anonymous=anonymous,
        direct=False,
        sync=False,
    )
    request = machine.model.read_flags(request, command.has("D"), command.has("S"))
    if length == 0:
        raise SyscallError("EINVAL", "mmap: the length must not be 0")
    if offset % PAGE_SIZE:
        raise SyscallError("EINVAL", f"mmap: offset {offset} is not a multiple of the page size")
    inode = None
    name = None
    opened, opened_writable = 0, False
    if not anonymous:
        entry, inode = ctx.current_file()
        name = inode.name
        opened, opened_writable = entry.serial, entry.writable
        if request.shared and request.writable:
            if not entry.writable:
                raise SyscallError(
                    "EACCES",
                    f"mmap: a writable shared mapping needs a writable "
                    f"fd; {inode.name} is open read-only",
                )
            if inode.swapfile:
                # do_mmap(): no writable shared mapping of an active swapfile (§3.1).
                raise SyscallError("ETXTBSY", f"mmap: {inode.name} is an active swapfile")
    machine.model.validate_mmap(machine, process, inode, request)
    span = -(-length // PAGE_SIZE) * PAGE_SIZE
    mapping = Mapping(
        id=machine.next_mapping_id,
        process=process.name,
        start=process.free_area(span),
        length=length,
        file=name,
        file_offset=offset,
        readable=request.readable,
        writable=request.writable,
        executable=request.executable,
        shared=request.shared,
        direct=request.direct,
        sync=request.sync,
        opened=opened,
        opened_writable=opened_writable,
    )
    machine.next_mapping_id += 1
    process.mappings.append(mapping)
    process.current_mapping = len(process.mappings) - 1
    file_range = (name, offset, offset + length) if name is not None else None
    machine.emit(
        EventKind.MMAP,
        f"{process.name} maps {mapping.describe()} for {machine.span(offset, offset + length)}; "
        "no page is mapped until it is touched",
        virtual=(process.name, mapping.start, mapping.start + span),
        file=file_range,
    )
    machine.model.after_mmap(machine, mapping)


def _list(ctx: Context) -> None:
    process = ctx.process
    for index, m in enumerate(process.mappings):
        mark = f"[{index:03d}]" if index == process.current_mapping else f" {index:03d} "
        prot = (
            ("r" if m.readable else "-")
            + ("w" if m.writable else "-")
            + ("x" if m.executable else "-")
        )
        what = m.file if m.file is not None else "[anon]"
        ctx.output.append(
            f"{mark} {m.start:#x} - {m.end:#x} {prot} {what} {m.file_offset}/{m.length}"
        )


def munmap(ctx: Context) -> None:
    mapping = ctx.current_mapping()
    machine = ctx.machine
    process = ctx.process
    machine.model.before_munmap(machine, mapping)
    zap(machine, mapping, mapping.start // PAGE_SIZE, -(-mapping.end // PAGE_SIZE), "munmap")
    index = process.current_mapping
    assert index is not None
    del process.mappings[index]
    process.current_mapping = min(index, len(process.mappings) - 1) if process.mappings else None
    machine.emit(
        EventKind.MUNMAP,
        f"{process.name} unmaps {mapping.describe()}",
        virtual=(process.name, mapping.start, mapping.end),
    )
    if (
        mapping.opened
        and mapping.file is not None
        and not any(f.serial == mapping.opened for f in process.files)
        and not any(m.opened == mapping.opened for m in process.mappings)
    ):
        # the fd was closed while this mapping held the file open: last fput -> ->release()
        release(machine, machine.inode(mapping.file), mapping.opened_writable)


def _range(ctx: Context, mapping: Mapping) -> tuple[int, int]:
    """mread/mwrite/msync's [OFF LEN]: file offsets inside the current mapping.

    The checks and their words are xfsprogs' io/mmap.c check_mapping_range(),
    including its slip: the end is compared with the mapping's file offset
    plus its length, so a mapping at a file offset above 0 lets a range run
    past its end.  The bytes past the end are whatever xfs_io has mapped
    there; mapviz touches only the mapping's own pages
    (kernel-divergences.md).
    """
    first, length_mapped = mapping.file_offset, mapping.length
    if not ctx.command.args:
        return first, first + length_mapped
    offset, length = ctx.command.number(0), ctx.command.number(1)
    if offset < first:
        raise ctx.refuse(f"offset ({offset}) is before start of mapping ({first})")
    relative = offset - first
    if relative > length_mapped:
        # xfs_io prints the relative offset, then the mapping's file offset
        raise ctx.refuse(f"offset ({relative}) is beyond end of mapping ({first})")
    if relative + length > first + length_mapped:
        raise ctx.refuse(f"range ({offset}:{relative}) is beyond mapping ({first}:{length_mapped})")
    return offset, min(offset + length, first + length_mapped)


def mread(ctx: Context) -> None:
    mapping = ctx.current_mapping()
    start, stop = _range(ctx, mapping)
    process = ctx.process
    reverse = ctx.command.has("r")
    # xfs_io's mread_f() copies each byte it loads into io_buffer; while -V N is set
    # alloc_buffer() does not allocate that buffer, and if nothing allocated it before
    # the first store goes through NULL: xfs_io dies with SIGSEGV (§9.4).  Overrunning
    # a smaller buffer is the C heap's business, not modelled (kernel-divergences.md,
    # "xfs_io's own memory errors").
    if process.io_vectors and not process.io_buffer and stop > start:
        byte = stop - 1 if reverse else start
        touch(ctx.machine, mapping, byte, byte + 1, write=False)
        raise Signal(
            "SIGSEGV",
            "xfs_io's mread copies into its plain buffer, never allocated since pwrite -V "
            "set vectors: a store through a NULL pointer kills xfs_io with SIGSEGV",
        )
    if not process.io_vectors:
        process.io_buffer = max(process.io_buffer, PAGE_SIZE)
    if stop > start:
        touch(ctx.machine, mapping, start, stop, write=False, reverse=reverse)


def mwrite(ctx: Context) -> None:
    mapping = ctx.current_mapping()
    start, stop = _range(ctx, mapping)
    seed = ctx.command.option("S")
    fill = MWRITE_FILL if seed is None else seed & 0xFF
    if stop > start:
        touch(
            ctx.machine, mapping, start, stop, write=True, fill=fill, reverse=ctx.command.has("r")
        )


def _page_aligned(ctx: Context, mapping: Mapping, start: int) -> bool:
    """xfs_io's check_mapping_range(..., pagealign=1): an unaligned start is refused, with
    its message, before the system call (msync, madvise)."""
    if (start - mapping.file_offset) % PAGE_SIZE == 0:
        return True
    address = mapping.start + start - mapping.file_offset
    ctx.output.append(f"offset address ({address:#x}) is not page aligned")
    return False


def msync(ctx: Context) -> None:
    mapping = ctx.current_mapping()
    start, stop = _range(ctx, mapping)
    if not _page_aligned(ctx, mapping, start):
        return
    # MS_ASYNC does nothing since 2.6.19; MS_SYNC is vfs_fsync_range over the range.
    if ctx.command.has("s") and mapping.shared and mapping.file is not None:
        writeback(ctx.machine, ctx.machine.inode(mapping.file), start, stop, "msync MS_SYNC")
        ctx.machine.fs.force_log()  # vfs_fsync_range() -> xfs_file_fsync() (§4.5)


def madvise(ctx: Context) -> None:
    """madvise(2) over the current mapping (§9.5); the range check is xfs_io's."""
    mapping = ctx.current_mapping()
    start, stop = _range(ctx, mapping)
    if not _page_aligned(ctx, mapping, start):
        return
    if stop <= start:
        return
    advice = next((f for f in reversed(ctx.command.flags) if f in "drsw"), "")
    if advice == "d":
        advice_ops.madvise_dontneed(ctx.machine, mapping, start, stop)
    elif advice == "w" and mapping.file is not None:
        # madvise_willneed() -> vfs_fadvise(POSIX_FADV_WILLNEED) over the file range
        inode = ctx.machine.inode(mapping.file)
        advice_ops.fadvise_willneed(ctx.machine, inode, start, stop - start)
    # "r" / "s" set VM_RAND_READ / VM_SEQ_READ: fault read-around, not modelled (fault.py)


def mincore(ctx: Context) -> None:
    """mincore(2): which pages of the range are resident, printed as xfs_io's mincore_f()."""
    mapping = ctx.current_mapping()
    start, stop = _range(ctx, mapping)
    if (start - mapping.file_offset) % PAGE_SIZE:
        address = mapping.start + start - mapping.file_offset
        ctx.output.append(f"offset address ({address:#x}) is not page aligned")
        return
    base = mapping.start + start - mapping.file_offset
    pages = (stop - start) // PAGE_SIZE
    inode = ctx.machine.inode(mapping.file) if mapping.file is not None else None
    resident = [_resident(mapping, inode, mapping.page_at(start) + i) for i in range(pages)]
    run_start: int | None = None
    for i, present in enumerate([*resident, False]):
        if present and run_start is None:
            run_start = i
        elif not present and run_start is not None:
            first, end = base + run_start * PAGE_SIZE, base + i * PAGE_SIZE
            ctx.output.append(
                f"{first:#x} - {end:#x}  {i - run_start} pages "
                f"({start + run_start * PAGE_SIZE} : {end - first})"
            )
            run_start = None


def _resident(mapping: Mapping, inode: Inode | None, vpage: int) -> bool:
    """mincore_page(): a file page is resident if it is in the page cache; an
    anonymous page (or a private copy) if an entry maps it."""
    pte = mapping.ptes.get(vpage)
    if pte is not None and pte.target == "anon":
        return True
    if inode is None:
        return False
    return inode.cache.frame_of(mapping.file_page(vpage)) is not None
