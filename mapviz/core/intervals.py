"""A set of integers kept as disjoint half-open runs ``[start, stop)``.

Used for whatever is naturally a set of block or page numbers: dirty blocks
of a file, present pages.  Runs are kept merged, so the set of a
fully-written 1 TiB file is one entry.
"""

from __future__ import annotations

from collections.abc import Iterator

from sortedcontainers import SortedDict

from mapviz.core.sortedkeys import floor_key, keys_from_floor, replace_key


class IntervalSet:
    """Disjoint, merged runs of integers in a ``SortedDict`` keyed by start.

    >>> s = IntervalSet()
    >>> s.add(0, 4); s.add(4, 6); s.add(10, 12)
    >>> list(s)
    [(0, 6), (10, 12)]
    >>> s.remove(2, 11)
    >>> list(s)
    [(0, 2), (11, 12)]
    """

    __slots__ = ("_runs", "_total")

    def __init__(self) -> None:
        self._runs: SortedDict[int, int] = SortedDict()
        self._total = 0  # integers held, kept as runs come and go

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self._runs.items())

    def __len__(self) -> int:
        """Number of runs (not of integers)."""
        return len(self._runs)

    def __bool__(self) -> bool:
        return bool(self._runs)

    def copy(self) -> IntervalSet:
        """A shallow copy (runs are immutable ints): O(n)."""
        clone = IntervalSet()
        clone._runs = self._runs.copy()
        clone._total = self._total
        return clone

    def total(self) -> int:
        """How many integers the set holds: O(1)."""
        return self._total

    def contains(self, value: int) -> bool:
        """True if ``value`` is in the set: O(log n)."""
        start = floor_key(self._runs, value)
        return start is not None and value < self._runs[start]

    def overlapping(self, start: int, stop: int) -> Iterator[tuple[int, int]]:
        """Runs clipped to ``[start, stop)``, in order: O(log n + k)."""
        if start >= stop:
            return
        runs = self._runs
        for run_start in keys_from_floor(runs, start, stop):
            run_stop = runs[run_start]
            if run_stop > start:
                yield max(run_start, start), min(run_stop, stop)

    def any_in(self, start: int, stop: int) -> bool:
        """True if some integer of ``[start, stop)`` is in the set: O(log n)."""
        if start >= stop:
            return False
        last = floor_key(self._runs, stop - 1)  # the last run starting before ``stop``
        return last is not None and self._runs[last] > start

    def covers(self, start: int, stop: int) -> bool:
        """True if every integer of ``[start, stop)`` (not empty) is in the set: O(log n)."""
        run_start = floor_key(self._runs, start)
        return run_start is not None and self._runs[run_start] >= stop

    def gaps(self, start: int, stop: int) -> Iterator[tuple[int, int]]:
        """The runs ``(first, stop)`` of ``[start, stop)`` outside the set, in order:
        O(log n + k).

        >>> s = IntervalSet()
        >>> s.add(2, 4); s.add(5, 6)
        >>> list(s.gaps(0, 10)), list(s.gaps(2, 4))
        ([(0, 2), (4, 5), (6, 10)], [])
        """
        position = start
        if self.any_in(start, stop):
            for a, b in self.overlapping(start, stop):
                if a > position:
                    yield position, a
                position = b
        if stop > position:
            yield position, stop

    def first_gap(self, start: int, stop: int, at_least: int) -> int | None:
        """Where the first of :meth:`gaps` at least ``at_least`` long begins, or ``None``:
        O(log n + k), one pass and no generator (the allocator asks it of every free run
        it weighs against the busy extents).

        >>> s = IntervalSet()
        >>> s.add(2, 4); s.add(5, 6)
        >>> s.first_gap(0, 10, 2), s.first_gap(2, 10, 2), s.first_gap(0, 6, 3)
        (0, 6, None)
        """
        runs = self._runs
        position = start
        for run_start in keys_from_floor(runs, start, stop):
            if run_start - position >= at_least:
                return position
            position = max(position, runs[run_start])
        return position if stop - position >= at_least else None

    def add(self, start: int, stop: int) -> None:
        """Add ``[start, stop)``, merging with touching runs: O(log n + k)."""
        if start >= stop:
            return
        runs = self._runs
        held = 0  # integers of the runs merged into the new one
        prev_start = floor_key(runs, start)
        if prev_start is not None and runs[prev_start] >= start:
            start = prev_start
            stop = max(stop, runs[prev_start])
        merged = [key for key in keys_from_floor(runs, start, stop + 1) if key >= start]
        for run_start in merged:
            run_stop = runs[run_start]
            held += run_stop - run_start
            stop = max(stop, run_stop)
        # A run at ``start`` itself just gets the new stop; else the first run merged
        # moves its key down to ``start`` (keys are never taken out to come back).
        if merged and merged[0] != start:
            replace_key(runs, merged[0], start, stop)
        for run_start in merged[1:]:
            del runs[run_start]
        runs[start] = stop
        self._total += stop - start - held

    def remove(self, start: int, stop: int) -> None:
        """Remove ``[start, stop)``, splitting runs at the edges: O(log n + k)."""
        if start >= stop:
            return
        runs = self._runs
        for run_start, run_stop in list(self.overlapping(start, stop)):
            whole_start = run_start if run_start > start else self._start_of(run_start)
            whole_stop = runs[whole_start]
            self._total -= run_stop - run_start
            if whole_start < start:  # its head stays: a new stop under the same key
                runs[whole_start] = start
                if whole_stop > stop:
                    runs[stop] = whole_stop
            elif whole_stop > stop:  # its tail stays: the key moves up to ``stop``
                replace_key(runs, whole_start, stop, whole_stop)
            else:
                del runs[whole_start]

    def shift(self, start: int, delta: int) -> None:
        """Move every run at or after ``start`` by ``delta`` (no run may straddle it): O(n)."""
        moved = [(s, e) for s, e in self._runs.items() if s >= start]
        for s, _ in moved:
            del self._runs[s]
        for s, e in moved:
            self._runs[s + delta] = e + delta

    def _start_of(self, value: int) -> int:
        start = floor_key(self._runs, value)
        assert start is not None, value
        return start

    def _check(self) -> None:
        """Assert the invariants: runs non-empty, disjoint, not touching."""
        previous_stop = None
        for start, stop in self._runs.items():
            assert start < stop, (start, stop)
            if previous_stop is not None:
                assert previous_stop < start, (previous_stop, start)
            previous_stop = stop
        assert self._total == sum(b - a for a, b in self._runs.items()), "total"
