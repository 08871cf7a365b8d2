"""How many owners each device block has: what makes an extent *shared*.

Like XFS's refcount btree (kernel-semantics §4.1: "Shared is not an extent
state but a property derived from the refcount btree"), only blocks with two
or more owners are recorded; an allocated block missing here has exactly one.
Runs of equal count are kept merged in a ``SortedDict`` (start -> (length, count)).
"""

from __future__ import annotations

from collections.abc import Iterator

from sortedcontainers import SortedDict

from mapviz.core.sortedkeys import keys_from_floor


class Refcounts:
    """Owner counts of shared device blocks.

    >>> r = Refcounts()
    >>> r.increase(10, 4)          # a reflink: blocks 10..13 now have 2 owners
    >>> list(r.runs(8, 16))
    [(8, 10, False), (10, 14, True), (14, 16, False)]
    >>> r.decrease(10, 2)          # one owner lets go of 10..11
    []
    >>> r.decrease(10, 1)          # ... and the last owner of block 10 too: free it
    [(10, 1)]
    """

    __slots__ = ("_runs",)

    def __init__(self) -> None:
        self._runs: SortedDict[int, tuple[int, int]] = SortedDict()

    def copy(self) -> Refcounts:
        """An independent copy: O(n)."""
        clone = Refcounts()
        clone._runs = self._runs.copy()
        return clone

    def __len__(self) -> int:
        """Recorded runs of shared blocks (0: nothing on the device is shared)."""
        return len(self._runs)

    def items(self) -> Iterator[tuple[int, int, int]]:
        """Every recorded run ``(start, length, count)`` (counts >= 2)."""
        for start, (length, count) in self._runs.items():
            yield start, length, count

    def count(self, block: int) -> int:
        """Owners of ``block`` if it is allocated (1 when not recorded): O(log n)."""
        for _start, _stop, count in self._pieces(block, block + 1):
            return count
        return 1

    def runs(self, start: int, stop: int) -> Iterator[tuple[int, int, bool]]:
        """Cover ``[start, stop)`` with ``(first, last, shared)`` pieces: O(log n + k)."""
        position = start
        for first, last, _count in self._pieces(start, stop):
            if first > position:
                yield position, first, False
            yield first, last, True
            position = last
        if position < stop:
            yield position, stop, False

    def any_shared(self, start: int, stop: int) -> bool:
        """True if some block of ``[start, stop)`` has several owners: O(log n)."""
        return next(self._pieces(start, stop), None) is not None

    def increase(self, start: int, length: int) -> None:
        """Add one owner to every block of ``[start, start + length)``: O(log n + k)."""
        self._adjust(start, start + length, +1)

    def decrease(self, start: int, length: int) -> list[tuple[int, int]]:
        """Drop one owner; return the runs ``(start, length)`` left with none: O(log n + k)."""
        stop = start + length
        orphaned = [(a, b - a) for a, b, shared in self.runs(start, stop) if not shared]
        self._adjust(start, stop, -1)
        return orphaned

    def _pieces(self, start: int, stop: int) -> Iterator[tuple[int, int, int]]:
        runs = self._runs
        for key in keys_from_floor(runs, start, stop):
            length, count = runs[key]
            if key + length > start:
                yield max(key, start), min(key + length, stop), count

    def _adjust(self, start: int, stop: int, delta: int) -> None:
        """Add ``delta`` to the count of every block in the range (1 when absent)."""
        pieces: list[tuple[int, int, int]] = []
        position = start
        for first, last, count in list(self._pieces(start, stop)):
            if first > position:
                pieces.append((position, first, 1 + delta))
            pieces.append((first, last, count + delta))
            position = last
        if position < stop:
            pieces.append((position, stop, 1 + delta))
        self._cut(start)
        self._cut(stop)
        for key in list(self._runs.irange(start, stop - 1)):
            del self._runs[key]
        for first, last, count in pieces:
            if count >= 2:
                self._runs[first] = (last - first, count)
        self._merge_around(start)
        self._merge_around(stop)

    def _cut(self, at: int) -> None:
        """Split the run that straddles ``at`` so a run starts there."""
        index = self._runs.bisect_right(at) - 1
        if index < 0:
            return
        key = self._runs.keys()[index]
        length, count = self._runs[key]
        if key < at < key + length:
            self._runs[key] = (at - key, count)
            self._runs[at] = (key + length - at, count)

    def _merge_around(self, at: int) -> None:
        """Merge the run ending at ``at`` with the one starting there if counts match."""
        right = self._runs.get(at)
        index = self._runs.bisect_left(at) - 1
        if right is None or index < 0:
            return
        key = self._runs.keys()[index]
        length, count = self._runs[key]
        if key + length == at and count == right[1]:
            del self._runs[at]
            self._runs[key] = (length + right[0], count)

    def _check(self) -> None:
        """Assert: counts >= 2, runs disjoint and merged where counts match."""
        previous: tuple[int, int, int] | None = None
        for start, (length, count) in self._runs.items():
            assert length > 0 and count >= 2, (start, length, count)
            if previous is not None:
                p_start, p_length, p_count = previous
                assert p_start + p_length <= start
                assert not (p_start + p_length == start and p_count == count)
            previous = (start, length, count)
