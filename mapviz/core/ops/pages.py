"""Page cache and page-table housekeeping shared by every operation.

Filling the cache when data is read, dropping pages (and the page-table
entries that point at them) when the block map underneath changes, and
write-protecting entries when writeback cleans a page so the next store
faults again (``page_mkclean``).
"""

from __future__ import annotations

from collections.abc import Callable

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE, Mapping, Pte


def eof_page(inode: Inode) -> int:
    """Pages ``[0, eof_page)`` hold file data; a fault at or past it is SIGBUS (§3.5)."""
    return -(-inode.size // PAGE_SIZE)


def mark_dirty(inode: Inode, first: int, stop: int) -> None:
    """Dirty file blocks ``[first, stop)``; the inode becomes I_DIRTY_PAGES until a
    sync(2)-style writeback (__writeback_single_inode) -- fsync does not clear it."""
    inode.cache.dirty.add(first, stop)
    inode.dirty_pages = True


def cache_pages(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> None:
    """Bring file pages ``[first, stop)`` into the page cache (non-DAX only)."""
    if machine.fs.config.dax or first >= stop:
        return
    for page, count, frame in inode.cache.fill(first, stop, machine.fs.frames):
        start, end = page * PAGE_SIZE, (page + count) * PAGE_SIZE
        source = (
            "read from disk" if _holds_data(machine, inode, page, page + count) else "zero-filled"
        )
        machine.emit(
            EventKind.CACHE_FILL,
            f"{why}: pages {machine.span(start, end)} of {inode.name} {source} into frames "
            f"{frame}..{frame + count - 1}",
            file=(inode.name, start, end),
            frames=(frame, frame + count),
        )


MAX_FOLIO_ORDER = 9  # MAX_PAGECACHE_ORDER on x86-64 (PMD size)


def folio_span(inode: Inode, first: int, stop: int) -> tuple[int, int]:
    """Pages ``[first, stop)`` widened to whole folios: writeback writes folios."""
    for start, count in inode.folios.overlapping(first, stop):
        first, stop = min(first, start), max(stop, start + count)
    return first, stop


def note_write_folios(
    inode: Inode,
    start: int,
    end: int,
    chunk: int,
    mapping_end: Callable[[int], int] | None = None,
) -> None:
    """Record the large folios buffered writes of ``[start, end)`` create, ``chunk`` bytes
    per write(2) (xfs_io's buffer).

    Each call gets a new folio for an uncached page of order ``ilog2(bytes left) -
    PAGE_SHIFT`` (``fgf_set_order``), lowered to the page index's alignment and
    until no page of it is cached yet (``__filemap_get_folio``).  XFS and (since
    6.16) ext4 both use large folios.  On XFS the bytes left are also capped by
    the iomap mapping (``mapping_end`` of a byte offset).  Call this before the
    pages are cached.
    """
    if chunk < 2 * PAGE_SIZE:
        return  # every call has less than two pages left: order 0 each, no large folio
    position = start
    while position < end:
        call_end = min(end, position + chunk)
        offset = position
        while offset < call_end:
            page = offset // PAGE_SIZE
            if inode.cache.cached(page):  # on to the next uncached page
                offset = inode.cache.next_uncached(page, -(-call_end // PAGE_SIZE)) * PAGE_SIZE
                continue
            left = call_end - offset
            if mapping_end is not None:
                left = min(left, mapping_end(offset) - offset)
            order = min(max(0, left.bit_length() - 1 - 12), MAX_FOLIO_ORDER)
            if order and page & ((1 << order) - 1):
                order = (page & -page).bit_length() - 1  # __ffs(index)
            while order and (
                inode.cache.any_cached(page, page + (1 << order))
                or folio_span(inode, page, page + (1 << order)) != (page, page + (1 << order))
            ):
                order -= 1
            if order:
                inode.folios[page] = 1 << order
            offset = (page + (1 << order)) * PAGE_SIZE
        position = call_end


def note_folio(inode: Inode, first: int, pages: int) -> None:
    """Record a new folio of ``pages`` pages at page ``first`` (single pages are not kept)."""
    if pages > 1:
        inode.folios[first] = pages


def _holds_data(machine: Machine, inode: Inode, first_page: int, stop_page: int) -> bool:
    bpp = machine.fs.blocks_per_page
    return inode.data.any_in_state(first_page * bpp, stop_page * bpp, ExtentState.WRITTEN)


def invalidate(
    machine: Machine, inode: Inode, first: int, stop: int, why: str, *, even_cows: bool = False
) -> None:
    """Unmap and evict file pages ``[first, stop)``: the block map under them changes.

    Every mapping's entries for those pages go (``unmap_mapping_range``); private
    copies stay unless ``even_cows`` (truncate removes them too).  Cached pages
    and their dirty blocks are dropped (``truncate_inode_pages_range``).
    """
    if first >= stop:
        return
    for mapping in list(machine.mappings(inode.name)):
        lo = max(first, mapping.file_pages()[0])
        hi = min(stop, mapping.file_pages()[1])
        if lo < hi:
            zap(
                machine,
                mapping,
                mapping.virtual_page(lo),
                mapping.virtual_page(hi),
                why,
                keep_private_copies=not even_cows,
            )
    bpp = machine.fs.blocks_per_page
    inode.cache.dirty.remove(first * bpp, stop * bpp)
    evict_cached(machine, inode, first, stop, why)


def evict_cached(
    machine: Machine, inode: Inode, first: int, stop: int, why: str, what: str = "pages"
) -> None:
    """Cached pages ``[first, stop)`` leave the page cache, with their folios and
    readahead marks (``what`` names them in the event: "pages", "clean pages")."""
    for start, _count in inode.folios.overlapping(first, stop):
        del inode.folios[start]  # dropped, or split to single pages where partly kept
    for page in list(inode.ra_marks.irange(first, stop, inclusive=(True, False))):
        inode.ra_marks.discard(page)
    for page, count, frame in inode.cache.drop(first, stop, machine.fs.frames):
        machine.emit(
            EventKind.CACHE_DROP,
            f"{why}: {what} {machine.pages_text(page, page + count)} of {inode.name} leave the "
            "page cache",
            file=(inode.name, page * PAGE_SIZE, (page + count) * PAGE_SIZE),
            frames=(frame, frame + count),
        )


def zap(
    machine: Machine,
    mapping: Mapping,
    first_vpage: int,
    stop_vpage: int,
    why: str,
    *,
    keep_private_copies: bool = False,
) -> None:
    """Remove present entries of ``mapping`` for virtual pages ``[first_vpage, stop_vpage)``."""
    doomed = [
        page
        for page, pte in mapping.entries(first_vpage, stop_vpage)
        if not (keep_private_copies and pte.target == "anon" and mapping.file is not None)
    ]
    if not doomed:
        return
    for page in doomed:
        pte = mapping.ptes.pop(page)
        if pte.target == "anon":
            machine.fs.frames.give_back(pte.number, 1)
    for lo, hi in _runs(doomed):
        machine.emit(
            EventKind.ZAP_PAGE,
            f"{why}: {mapping.process}'s page-table entries for "
            f"{machine.addresses(lo * PAGE_SIZE, hi * PAGE_SIZE)} removed",
            virtual=(mapping.process, lo * PAGE_SIZE, hi * PAGE_SIZE),
            file=_file_range(mapping, lo, hi),
        )


def isize_extended(machine: Machine, inode: Inode, old: int, new: int, why: str) -> None:
    """pagecache_isize_extended(): EOF moved up inside a page (blocks smaller than a page).

    Blocks of the old EOF page that were past EOF have no backing reserved; the
    page's entries are write-protected (folio_mkclean) so the next store faults
    and page_mkwrite reserves them.
    """
    bs = machine.fs.blocksize
    if new <= old or bs >= PAGE_SIZE:
        return
    rounded = -(-old // bs) * bs
    if new <= rounded or not rounded % PAGE_SIZE:
        return
    page = old // PAGE_SIZE
    write_protect(machine, inode, page, page + 1, f"{why}: EOF moved up inside the page")


def write_protect(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> None:
    """Make writable shared entries for file pages ``[first, stop)`` read-only (page_mkclean)."""
    for mapping in machine.mappings(inode.name):
        if not mapping.shared:
            continue
        lo = max(first, mapping.file_pages()[0])
        hi = min(stop, mapping.file_pages()[1])
        if lo >= hi:
            continue
        changed = []
        for page, pte in list(mapping.entries(mapping.virtual_page(lo), mapping.virtual_page(hi))):
            if pte.writable and pte.target in ("frame", "block"):
                mapping.ptes[page] = Pte(pte.target, pte.number, False)
                changed.append(page)
        for a, b in _runs(changed):
            machine.emit(
                EventKind.WRITE_PROTECT,
                f"{why}: {mapping.process}'s entries for "
                f"{machine.addresses(a * PAGE_SIZE, b * PAGE_SIZE)} made read-only, so the next "
                "store faults again",
                virtual=(mapping.process, a * PAGE_SIZE, b * PAGE_SIZE),
                file=_file_range(mapping, a, b),
                writable=False,
            )


def _file_range(mapping: Mapping, first_vpage: int, stop_vpage: int) -> tuple[str, int, int] | None:
    if mapping.file is None:
        return None
    return (
        mapping.file,
        mapping.file_page(first_vpage) * PAGE_SIZE,
        mapping.file_page(stop_vpage) * PAGE_SIZE,
    )


def _runs(pages: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs ``[first, stop)`` of a sorted list of page numbers."""
    runs: list[tuple[int, int]] = []
    for page in pages:
        if runs and runs[-1][1] == page:
            runs[-1] = (runs[-1][0], page + 1)
        else:
            runs.append((page, page + 1))
    return runs
