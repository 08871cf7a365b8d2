"""Touching mapped memory: mread / mwrite, page by page, and the faults they take.

A load from a page with no entry, or a store to a page without a writable
one, faults.  The fault is resolved as the kernel would:

* past EOF (page index >= ceil(size / 4096)) -> SIGBUS (§3.5);
* the kernel model may refuse it (v5 MAP_DIRECT, a revoked lease ...);
* a store through a pre-existing writable mapping of an active swapfile, or
  of an immutable file on ext4, -> SIGBUS (§3.1, conformance README);
* page cache: the page is read in; a store runs ``page_mkwrite``, which
  reserves delalloc over holes, leaves unwritten extents unwritten (they
  convert at writeback), stages CoW for shared blocks on XFS and dirties the
  whole page (conformance README: "one byte stored through a mapping dirties
  the whole page");
* DAX: a load over a hole or unwritten extent maps the zero page, otherwise
  the device block itself; a store allocates / converts / copies first and,
  for a MAP_SYNC mapping whose fault changed the block map, makes that
  metadata durable before the entry is installed (§1.6);
* a store to a private mapping copies the page into anonymous memory.

A SIGBUS stops the command at the faulting page; the pages before it stay
touched (SCENARIO.md "Results").
"""

from __future__ import annotations

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.filesystem import NoSpace
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE, Mapping, Pte
from mapviz.core.ops import blocks
from mapviz.core.ops.pages import cache_pages, eof_page, folio_span, mark_dirty
from mapviz.core.ops.prealloc import reserve_write
from mapviz.core.ops.write import dax_prepare
from mapviz.core.outcome import Signal
from mapviz.scenario.numbers import exact_bytes, human_offset

ZERO_PAGE = 0


def touch(
    machine: Machine,
    mapping: Mapping,
    start: int,
    stop: int,
    *,
    write: bool,
    fill: int = 0,
    reverse: bool = False,
) -> None:
    """Load from (or store ``fill`` into) mapping bytes ``[start, stop)`` page by page.

    ``start``/``stop`` are file offsets for a file mapping, offsets from the
    mapping's start for an anonymous one (as xfs_io's mread/mwrite take them).
    """
    if write and not mapping.writable:
        raise Signal(
            "SIGSEGV", f"{mapping.describe()} has no PROT_WRITE: a store faults with SIGSEGV"
        )
    pages = range(mapping.page_at(start), mapping.page_at(stop - 1) + 1)
    for vpage in reversed(pages) if reverse else pages:
        pte = mapping.ptes.get(vpage)
        if pte is None or (write and not pte.writable):
            fault(machine, mapping, vpage, write=write)
        if write and mapping.file is not None and mapping.shared:
            inode = machine.inode(mapping.file)
            lo = max(start, mapping.file_page(vpage) * PAGE_SIZE)
            hi = min(stop, (mapping.file_page(vpage) + 1) * PAGE_SIZE, inode.size)
            inode.content.fill(lo, hi, fill)  # stores past EOF are not file data (§3.5)


def fault(machine: Machine, mapping: Mapping, vpage: int, *, write: bool) -> None:
    """Resolve one page fault, installing an entry or raising ``Signal``."""
    process = mapping.process
    address = vpage * PAGE_SIZE
    where = (process, address, address + PAGE_SIZE)
    kind = "write" if write else "read"
    if mapping.file is None:
        _anonymous(machine, mapping, vpage, write)
        return
    inode = machine.inode(mapping.file)
    file_page = mapping.file_page(vpage)
    offset = file_page * PAGE_SIZE
    file_range = (inode.name, offset, offset + PAGE_SIZE)
    machine.emit(
        EventKind.FAULT,
        f"{kind} fault at {address:#x} ({inode.name} offset {human_offset(offset)})",
        virtual=where,
        file=file_range,
    )
    if mapping.revoked:
        _sigbus(
            machine,
            mapping,
            vpage,
            f"{mapping.describe()} was revoked when its lease "
            "timed out: every access faults with SIGBUS (§1.4)",
        )
    if file_page >= eof_page(inode):
        _sigbus(
            machine,
            mapping,
            vpage,
            f"page {machine.span(offset, offset + PAGE_SIZE)} of "
            f"{inode.name} lies wholly past EOF ({inode.name} is {exact_bytes(inode.size)}) (§3.5)",
        )
    fills = _fills(machine, inode, file_page, write)
    try:
        machine.model.before_fault(machine, mapping, offset, write, fills)
    except Signal as refused:
        _sigbus(machine, mapping, vpage, refused.why)
    if write and mapping.shared:
        if inode.swapfile:
            _sigbus(
                machine,
                mapping,
                vpage,
                f"{inode.name} became an active swapfile after this "
                "mapping was made: a store faults with SIGBUS (§3.1)",
            )
        refusal = machine.fs.policy.page_mkwrite_refusal(inode)
        if refusal is not None:
            _sigbus(machine, mapping, vpage, refusal)
    if not mapping.shared and write:
        _private_copy(machine, mapping, inode, vpage, file_page)
    elif machine.fs.config.dax:
        _dax(machine, mapping, inode, vpage, file_page, write)
    else:
        _page_cache(machine, mapping, inode, vpage, file_page, write)


def _fills(machine: Machine, inode: Inode, file_page: int, write: bool) -> bool:
    """Would this fault have to allocate or convert blocks (a block-map update)?"""
    if not write:
        return False
    bpp = machine.fs.blocks_per_page
    for _a, _b, extent in inode.data.walk(file_page * bpp, (file_page + 1) * bpp):
        if extent is None or extent.state is ExtentState.UNWRITTEN:
            return True
        if extent.state is ExtentState.DELALLOC:
            continue
        if machine.fs.policy.shares_blocks and blocks.is_shared(machine, extent):
            return True
    return False


def _sigbus(machine: Machine, mapping: Mapping, vpage: int, why: str) -> None:
    address = vpage * PAGE_SIZE
    machine.emit(
        EventKind.SIGBUS,
        why,
        virtual=(mapping.process, address, address + PAGE_SIZE),
        result="SIGBUS",
    )
    raise Signal("SIGBUS", why)


def _install(
    machine: Machine,
    mapping: Mapping,
    vpage: int,
    pte: Pte,
    why: str,
    *,
    file_range: tuple[str, int, int] | None = None,
    block: int | None = None,
) -> None:
    old = mapping.ptes.get(vpage)
    if old is not None and old.target == "anon" and pte.target != "anon":
        machine.fs.frames.give_back(old.number, 1)
    mapping.ptes[vpage] = pte
    address = vpage * PAGE_SIZE
    frames = (pte.number, pte.number + 1) if pte.target in ("frame", "anon") else None
    blocks_range = (block, block + 1) if block is not None else None
    machine.emit(
        EventKind.MAP_PAGE,
        why,
        virtual=(mapping.process, address, address + PAGE_SIZE),
        file=file_range,
        frames=frames,
        blocks=blocks_range,
        target=pte.target,
        writable=pte.writable,
    )


def _anonymous(machine: Machine, mapping: Mapping, vpage: int, write: bool) -> None:
    address = vpage * PAGE_SIZE
    machine.emit(
        EventKind.FAULT,
        f"{'write' if write else 'read'} fault at {address:#x} (anonymous memory)",
        virtual=(mapping.process, address, address + PAGE_SIZE),
    )
    if not write:
        _install(
            machine,
            mapping,
            vpage,
            Pte("zero", ZERO_PAGE, False),
            f"{address:#x} maps the shared zero page until something is stored",
        )
        return
    ((frame, _),) = machine.fs.frames.take(1)
    _install(
        machine,
        mapping,
        vpage,
        Pte("anon", frame, True),
        f"{address:#x} gets its own zeroed frame {frame}",
    )


def _private_copy(
    machine: Machine, mapping: Mapping, inode: Inode, vpage: int, file_page: int
) -> None:
    """A store to MAP_PRIVATE: copy the file's page into a new anonymous frame."""
    cache_pages(machine, inode, file_page, file_page + 1, "private mapping read")
    ((frame, _),) = machine.fs.frames.take(1)
    offset = file_page * PAGE_SIZE
    _install(
        machine,
        mapping,
        vpage,
        Pte("anon", frame, True),
        f"MAP_PRIVATE: the store goes to a private copy in frame {frame}; "
        f"{inode.name} is not changed",
        file_range=(inode.name, offset, offset + PAGE_SIZE),
    )


def _page_cache(
    machine: Machine, mapping: Mapping, inode: Inode, vpage: int, file_page: int, write: bool
) -> None:
    offset = file_page * PAGE_SIZE
    file_range = (inode.name, offset, offset + PAGE_SIZE)
    cache_pages(machine, inode, file_page, file_page + 1, "fault")
    frame = inode.cache.frame_of(file_page)
    assert frame is not None
    if write:
        _page_mkwrite(machine, mapping, inode, vpage, file_page)
        _install(
            machine,
            mapping,
            vpage,
            Pte("frame", frame, True),
            f"{mapping.process} may now store to {inode.name}'s page at {human_offset(offset)} "
            f"(frame {frame})",
            file_range=file_range,
        )
    else:
        _install(
            machine,
            mapping,
            vpage,
            Pte("frame", frame, False),
            f"{mapping.process} reads {inode.name}'s page at {human_offset(offset)} from frame "
            f"{frame} (mapped read-only so the first store faults again)",
            file_range=file_range,
        )


def _page_mkwrite(
    machine: Machine, mapping: Mapping, inode: Inode, vpage: int, file_page: int
) -> None:
    """``iomap_page_mkwrite``: back the page's blocks inside EOF and dirty them."""
    bs = machine.fs.blocksize
    bpp = machine.fs.blocks_per_page
    # the whole folio holding the page (a large one from a big write) is made writable
    first_page, stop_page = folio_span(inode, file_page, file_page + 1)
    first = first_page * bpp
    stop = min(stop_page * bpp, -(-inode.size // bs))
    why = f"store fault at {vpage * PAGE_SIZE:#x}: page_mkwrite"
    try:
        if machine.fs.policy.buffered_iomap:
            # iomap_page_mkwrite() maps the folio mapping by mapping from its start, as
            # a write does: blocks before the first shared one get data-fork delalloc,
            # the shared run and whatever its widened CoW extent covers go to the CoW
            # fork (xfs_buffered_write_iomap_begin, §4.4)
            reserve_write(machine, inode, first * bs, stop * bs, why)
        else:
            blocks.reserve_holes(machine, inode, first, stop, why)
    except NoSpace:
        _sigbus(
            machine,
            mapping,
            vpage,
            f"{why} found no free space for {inode.name} (ENOSPC in a fault is SIGBUS)",
        )
    mark_dirty(inode, first, stop)
    machine.emit(
        EventKind.DIRTY, f"{why}: the whole page is dirty", file=(inode.name, first * bs, stop * bs)
    )


def _dax(
    machine: Machine, mapping: Mapping, inode: Inode, vpage: int, file_page: int, write: bool
) -> None:
    offset = file_page * PAGE_SIZE
    file_range = (inode.name, offset, offset + PAGE_SIZE)
    block_index = file_page  # DAX needs blocksize == page size
    if write:
        changed = dax_prepare(
            machine,
            inode,
            block_index,
            block_index + 1,
            f"DAX store fault at {vpage * PAGE_SIZE:#x}",
        )
        if changed and mapping.sync:
            machine.emit(
                EventKind.METADATA_SYNC,
                f"MAP_SYNC: the block-map change for {inode.name}'s page at {human_offset(offset)} "
                "is made durable "
                "(fsync of the range) before the page is mapped (§1.6)",
                file=file_range,
            )
    extent = inode.data.find(block_index)
    if extent is None or extent.state is not ExtentState.WRITTEN:
        _install(
            machine,
            mapping,
            vpage,
            Pte("zero", ZERO_PAGE, False),
            f"DAX: {inode.name}'s page at {human_offset(offset)} is a hole or unwritten, so the "
            "zero page is "
            "mapped (no block is allocated for a load)",
            file_range=file_range,
        )
        return
    assert extent.physical_block is not None
    block = extent.physical_block + block_index - extent.file_block
    _install(
        machine,
        mapping,
        vpage,
        Pte("block", block, write),
        f"DAX: {mapping.process} maps device block {block} of {inode.name} directly, "
        "no page cache in between",
        file_range=file_range,
        block=block,
    )
