"""What a file's bytes are, coarsely: enough to decide whether two ranges are equal.

``dedupe`` shares ranges only when their bytes are identical, else the kernel
reports FILE_DEDUPE_RANGE_DIFFERS (EBADE; conformance README).  The bytes come
from xfs_io's fill patterns (``pwrite`` fills with 0xcd or its ``-S`` seed);
holes and unwritten blocks read as zeros.  So a file's content is a run map
from byte offset to a fill: a byte value (0..255), or an opaque stream
``(token, origin)`` for data we cannot name byte by byte (a swap header, the
blocks of a replayed real file), where ``origin`` is the stream offset at the
start of the run.  Zero runs are not stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeAlias

from sortedcontainers import SortedDict

from mapviz.core.sortedkeys import floor_key, keys_from_floor

Fill: TypeAlias = int | tuple[str, int]
"""A byte value, or ``(token, origin)``: bytes of stream ``token`` from offset ``origin``."""


def _advance(fill: Fill, distance: int) -> Fill:
    """The fill seen ``distance`` bytes further into a run."""
    if isinstance(fill, tuple):
        return (fill[0], fill[1] + distance)
    return fill


class Content:
    """Byte-range fills of one file; everything not stored reads as zero.

    >>> c = Content()
    >>> c.fill(0, 8192, 0xCD)
    >>> c.fill(4096, 4097, 0x61)
    >>> c.equal(0, c, 4096, 1)      # 0xcd vs 0x61
    False
    >>> c.zero(0, 4096)
    >>> list(c.runs(0, 8192))
    [(0, 4096, 0), (4096, 4097, 97), (4097, 8192, 205)]
    """

    __slots__ = ("_runs",)

    def __init__(self) -> None:
        self._runs: SortedDict[int, tuple[int, Fill]] = SortedDict()  # start -> (end, fill)

    def copy(self) -> Content:
        """An independent copy: O(n)."""
        clone = Content()
        clone._runs = self._runs.copy()
        return clone

    def runs(self, start: int, stop: int) -> Iterator[tuple[int, int, Fill]]:
        """Cover ``[start, stop)`` with ``(first, last, fill)``; zeros included: O(log n + k)."""
        position = start
        for first, last, fill in self._stored(start, stop):
            if first > position:
                yield position, first, 0
            yield first, last, fill
            position = last
        if position < stop:
            yield position, stop, 0

    def fill(self, start: int, stop: int, fill: Fill) -> None:
        """Set ``[start, stop)`` to ``fill``: O(log n + k)."""
        if start >= stop:
            return
        self._clear(start, stop)
        if fill != 0:
            self._runs[start] = (stop, fill)

    def holds_data(self, start: int, stop: int) -> bool:
        """True if some byte of ``[start, stop)`` reads as other than zero: O(log n)."""
        return next(self._stored(start, stop), None) is not None

    def fill_sorted(self, fills: Iterable[tuple[int, int, Fill]]) -> None:
        """Set many ``(start, stop, fill)`` at once, in order, where nothing is stored yet.

        One bulk update for a replayed map's million extents, streamed: O(n log n).
        """
        self._runs.update((start, (stop, fill)) for start, stop, fill in fills if fill != 0)

    def zero(self, start: int, stop: int) -> None:
        """Make ``[start, stop)`` read as zeros: O(log n + k)."""
        self._clear(start, stop)

    def truncate(self, size: int) -> None:
        """Drop everything at or past ``size`` (bytes past EOF are not file data)."""
        end = self._end()
        if end > size:
            self._clear(size, end)

    def copy_from(self, source: Content, src: int, dst: int, length: int) -> None:
        """Make ``[dst, dst + length)`` hold what ``source`` holds at ``[src, src + length)``."""
        pieces = list(source.runs(src, src + length))
        self._clear(dst, dst + length)
        for first, last, fill in pieces:
            if fill != 0:
                self._runs[first - src + dst] = (last - src + dst, fill)

    def shift(self, start: int, delta: int) -> None:
        """Move every byte at or after ``start`` by ``delta`` (collapse / insert range).

        With a negative ``delta`` the bytes ``[start + delta, start)`` are dropped
        first; with a positive one ``[start, start + delta)`` reads as zeros after.
        """
        end = max(self._end(), start)
        moved = list(self._stored(start, end))
        self._clear(start + min(delta, 0), end)
        for first, last, fill in moved:
            self._runs[first + delta] = (last + delta, fill)

    def equal(self, offset: int, other: Content, other_offset: int, length: int) -> bool:
        """True if the two ranges hold the same bytes: O(log n + k)."""
        mine = list(self.runs(offset, offset + length))
        theirs = list(other.runs(other_offset, other_offset + length))
        cuts = sorted(
            {a - offset for a, _, _ in mine} | {a - other_offset for a, _, _ in theirs} | {length}
        )
        for cut in cuts[:-1]:
            if _fill_at(mine, offset + cut) != _fill_at(theirs, other_offset + cut):
                return False
        return True

    def _stored(self, start: int, stop: int) -> Iterator[tuple[int, int, Fill]]:
        runs = self._runs
        for key in keys_from_floor(runs, start, stop):
            last, fill = runs[key]
            if last > start:
                clip_first = max(key, start)
                yield clip_first, min(last, stop), _advance(fill, clip_first - key)

    def _clear(self, start: int, stop: int) -> None:
        for first, _last, _fill in list(self._stored(start, stop)):
            whole_first = first
            if first == start:  # the run holding ``start`` may begin before it
                held = floor_key(self._runs, start)
                assert held is not None, start
                whole_first = held
            whole_last, whole_fill = self._runs.pop(whole_first)
            if whole_first < start:
                self._runs[whole_first] = (start, whole_fill)
            if whole_last > stop:
                self._runs[stop] = (whole_last, _advance(whole_fill, stop - whole_first))

    def _end(self) -> int:
        if not self._runs:
            return 0
        return int(self._runs.peekitem(-1)[1][0])

    def _check(self) -> None:
        """Assert: runs non-empty, disjoint, none holding zero."""
        previous_end = None
        for start, (end, fill) in self._runs.items():
            assert start < end and fill != 0, (start, end, fill)
            if previous_end is not None:
                assert previous_end <= start
            previous_end = end


def _fill_at(pieces: list[tuple[int, int, Fill]], position: int) -> Fill:
    for first, last, fill in pieces:
        if first <= position < last:
            return _advance(fill, position - first)
    return 0
