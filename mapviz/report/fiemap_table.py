"""Block maps printed exactly as xfs_io 6.1 prints them (``fiemap``, ``bmap``).

Pure formatting: the callers (the simulator's ``fiemap``/``bmap`` commands and
``mapviz fiemap`` for real files) hand in extents and get back lines.  Every
width rule is copied from xfsprogs 6.1 ``io/fiemap.c`` (here) and
``io/bmap.c`` (:mod:`mapviz.report.bmap_table`, re-exported here) and checked
against output captured from the real tool on a loop-mounted XFS
(``tests/report/xfs_io_captures.json``), quirks included:

* ``fiemap -v`` sizes its columns from the first batch of 32 extents only, so
  a wider extent later in the file overflows its column;
* ``fiemap`` synthesises "hole" lines (holes are not FIEMAP records), and the
  trailing hole up to EOF only when at least one extent was printed;
* ``bmap`` prints what ``XFS_IOC_GETBMAPX`` returns: holes are kernel records,
  extents are cut at EOF unless the inode is marked preallocated, unwritten
  extents are flagged only with ``-p``, shared ones always with ``-v``.

All offsets and lengths in the output are 512-byte sectors, as in xfs_io.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import NamedTuple

from mapviz.report.bmap_table import format_bmap
from mapviz.report.extents import Extent

__all__ = [
    "Extent",
    "Window",
    "fiemap_flags",
    "fiemap_table",
    "format_bmap",
    "format_fiemap",
    "window_records",
]

SECTOR = 512
"""xfs_io prints FIEMAP and GETBMAPX ranges in 512-byte "basic blocks"."""

# FIEMAP extent flags this module synthesises for extents that carry no raw
# ``flags`` of their own (include/uapi/linux/fiemap.h).
FIEMAP_EXTENT_LAST = 0x0001
FIEMAP_EXTENT_UNKNOWN = 0x0002
FIEMAP_EXTENT_DELALLOC = 0x0004
FIEMAP_EXTENT_UNWRITTEN = 0x0800
FIEMAP_EXTENT_SHARED = 0x2000

_FIEMAP_BATCH = 32  # io/fiemap.c: EXTENT_BATCH, the batch its widths come from


def fiemap_flags(extent: Extent, *, last: bool) -> int:
    """The FIEMAP flags the kernel would report for ``extent``.

    Follows ``iomap_to_fiemap()`` (fs/iomap/fiemap.c): delalloc is
    DELALLOC|UNKNOWN, an unknown location UNKNOWN, plus UNWRITTEN, SHARED and
    LAST on the final extent.  A raw record's own ``flags`` win.

    >>> from types import SimpleNamespace as X
    >>> hex(fiemap_flags(X(offset=0, length=4096, physical=8192, state="unwritten",
    ...                    shared=False), last=True))
    '0x801'
    """
    raw = getattr(extent, "flags", None)
    if isinstance(raw, int):
        return raw
    flags = 0
    if extent.state == "delalloc":
        flags |= FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN
    elif extent.physical is None:
        flags |= FIEMAP_EXTENT_UNKNOWN
    if extent.state == "unwritten":
        flags |= FIEMAP_EXTENT_UNWRITTEN
    if extent.shared:
        flags |= FIEMAP_EXTENT_SHARED
    if last:
        flags |= FIEMAP_EXTENT_LAST
    return flags


def _fiemap_records(extents: Sequence[Extent]) -> list[tuple[int, int, int, int]]:
    """``(logical, physical, length, flags)`` in bytes, as the ioctl returns them."""
    final = len(extents) - 1
    records = []
    for index, extent in enumerate(extents):
        physical = extent.physical
        records.append(
            (
                extent.offset,
                0 if physical is None else physical,  # the kernel's "unknown"
                extent.length,
                fiemap_flags(extent, last=index == final),
            )
        )
    return records


def _fiemap_widths(records: Sequence[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """io/fiemap.c ``calc_print_format()``: widths from the first batch only."""
    foff_w, boff_w, tot_w, flg_w = 16, 16, 5, 5
    for logical, physical, length, flags in records[:_FIEMAP_BATCH]:
        start, count, block = logical // SECTOR, length // SECTOR, physical // SECTOR
        # Measured without the trailing ':' that the printed column has.
        foff_w = max(foff_w, len(f"[{start}..{start + count - 1}]"))
        boff_w = max(boff_w, len(f"{block}..{block + count - 1}"))
        tot_w = max(tot_w, len(str(count)))
        flg_w = max(flg_w, len(f"{flags:x}"))
        if flags & FIEMAP_EXTENT_LAST:
            break
    return foff_w, boff_w, tot_w, flg_w


class Window(NamedTuple):
    """``fiemap OFF LEN``: the range asked for, in bytes (``end`` ``None``: to the end)."""

    start: int
    end: int | None
    blocksize: int


def window_records(
    records: Sequence[tuple[int, int, int, int]], window: Window
) -> list[tuple[int, int, int, int]]:
    """The FIEMAP records the kernel returns for ``window``'s range.

    XFS (``xfs_read_iomap_begin()`` -> ``xfs_bmapi_read()``) and ext4
    (``ext4_iomap_begin_report()``) map only the blocks of the range asked
    for, so a record is cut to the block-rounded window; ``iomap_fiemap()``
    flags the last record it emits LAST, wherever the file's own last extent
    is (§4.2).

    >>> window_records([(0, 8192, 65536, 0x1)], Window(start=12288, end=16384, blocksize=4096))
    [(12288, 20480, 4096, 1)]
    """
    bs = window.blocksize
    low = window.start // bs * bs
    high = None if window.end is None else -(-window.end // bs) * bs
    cut = []
    for logical, physical, length, flags in records:
        start, stop = max(logical, low), logical + length
        if high is not None:
            stop = min(stop, high)
        if stop <= start:
            continue
        moved = physical + start - logical if physical else physical
        cut.append((start, moved, stop - start, flags & ~FIEMAP_EXTENT_LAST))
    if cut:
        logical, physical, length, flags = cut[-1]
        cut[-1] = (logical, physical, length, flags | FIEMAP_EXTENT_LAST)
    return cut


def format_fiemap(
    name: str,
    extents: Sequence[Extent],
    *,
    verbose: bool,
    size: int | None = None,
    window: Window | None = None,
    blocks: bool = False,
) -> list[str]:
    """Lines of xfs_io's ``fiemap`` (``verbose=False``) or ``fiemap -v``.

    Parameters
    ----------
    name
        The file name xfs_io prints on the first line.
    extents
        The file's extents in offset order (holes are the gaps).
    verbose
        ``fiemap -v``: the table with TOTAL and FLAGS columns.
    size
        The file size in bytes.  xfs_io prints a hole from the end of the last
        extent to EOF; without ``size`` that line is left out.
    window
        ``fiemap OFF [LEN]``: only the records of that range, holes counted
        from OFF and the last one up to the range's end or EOF.
    blocks
        ``fiemap -l``: the plain table also gives each length in sectors.

    Returns
    -------
    list[str]
        The output lines without newlines; units are 512-byte sectors.

    Examples
    --------
    >>> from types import SimpleNamespace as X
    >>> extents = [X(offset=0, length=16384, physical=134316032, state="unwritten",
    ...              shared=False),
    ...            X(offset=65536, length=4096, physical=134332416, state="written",
    ...              shared=False)]
    >>> print("\\n".join(format_fiemap("f", extents, verbose=True, size=131072)))
    f:
     EXT: FILE-OFFSET      BLOCK-RANGE      TOTAL FLAGS
       0: [0..31]:         262336..262367      32 0x800
       1: [32..127]:       hole                96
       2: [128..135]:      262368..262375       8   0x1
       3: [136..255]:      hole               120
    >>> format_fiemap("f", extents[:1], verbose=False)
    ['f:', '\\t0: [0..31]: 262336..262367']
    """
    lines = [f"{name}:"]
    records = _fiemap_records(extents)
    start, end = 0, None
    if window is not None:
        records = window_records(records, window)
        start, end = window.start, window.end
    table = fiemap_table(records, verbose=verbose, size=size, start=start, end=end, blocks=blocks)
    for chunk in table:
        lines += chunk
    return lines


def fiemap_table(
    records: Iterable[tuple[int, int, int, int]],
    *,
    verbose: bool,
    size: int | None = None,
    chunk: int = 4096,
    start: int = 0,
    end: int | None = None,
    blocks: bool = False,
) -> Iterator[list[str]]:
    """The lines of :func:`format_fiemap` after the name, from raw FIEMAP records.

    ``records`` are ``(logical, physical, length, flags)`` in bytes, in
    offset order, as the ioctl returns them (``mapviz fiemap`` hands in a
    real file's 100,000+ without making an object per extent).  The lines
    come in lists of about ``chunk``, so a caller can write them as they come.
    ``start`` and ``end`` (bytes) are ``fiemap OFF LEN``'s range: holes are
    counted from ``start`` and the last one stops at ``end`` if before EOF;
    ``blocks`` is ``-l`` (each plain line ends `` N blocks``).

    >>> list(fiemap_table([(0, 8192, 4096, 0x801)], verbose=False, size=8192))
    [['\\t0: [0..7]: 16..23', '\\t1: [8..15]: hole']]
    """
    records = iter(records)
    first = list(islice(records, _FIEMAP_BATCH))
    if not first:
        return
    if verbose:
        foff_w, boff_w, tot_w, flg_w = _fiemap_widths(first)
        # The widths are fixed for the whole table: one %-format per line, built once.
        row = f"%4d: %-{foff_w}s %-{boff_w}s %{tot_w}d %#{flg_w}x"
        hole = f"%4d: %-{foff_w}s {'hole':<{boff_w}} %{tot_w}d"
        header = f"{{:>4}}: {{:<{foff_w}}} {{:<{boff_w}}} {{:>{tot_w}}} {{:>{flg_w}}}"
        # io/fiemap.c prints the header with the first extent only.
        lines = [header.format("EXT", "FILE-OFFSET", "BLOCK-RANGE", "TOTAL", "FLAGS")]
    elif blocks:
        row, hole, lines = "\t%d: %s %d..%d %d blocks", "\t%d: %s hole %d blocks", []
    else:
        row, hole, lines = "\t%d: %s %d..%d", "\t%d: %s hole", []
    # io/fiemap.c: print_hole() takes the count with -v or -l
    counted = verbose or blocks
    index = 0
    last_end = start  # bytes, like xfs_io's last_logical
    append = lines.append
    for logical, physical, length, flags in chain(first, records):
        # One loop for both tables, in locals: it runs once per extent of huge files.
        start, count, block = logical // SECTOR, length // SECTOR, physical // SECTOR
        hole_start = last_end // SECTOR
        if start > hole_start:  # io/fiemap.c print_hole(): holes are synthesised
            offsets = f"[{hole_start}..{start - 1}]:"
            append(hole % ((index, offsets, start - hole_start) if counted else (index, offsets)))
            index += 1
        offsets = f"[{start}..{start + count - 1}]:"
        if verbose:
            append(row % (index, offsets, f"{block}..{block + count - 1}", count, flags))
        elif blocks:
            append(row % (index, offsets, block, block + count - 1, count))
        else:
            append(row % (index, offsets, block, block + count - 1))
        index += 1
        last_end = logical + length
        if len(lines) >= chunk:
            yield lines
            lines = []
            append = lines.append
    stop = size if end is None or size is None else min(end, size)
    if stop is not None and last_end < stop:
        # io/fiemap.c: the hole to EOF (or the range's end), only when some
        # extent was printed.
        hole_first, hole_end = last_end // SECTOR, stop // SECTOR
        offsets = f"[{hole_first}..{hole_end - 1}]:"
        append(hole % ((index, offsets, hole_end - hole_first) if counted else (index, offsets)))
    if lines:
        yield lines
