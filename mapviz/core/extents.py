"""A file's extent map: file blocks -> device blocks, with a state per extent.

The map is a ``SortedDict`` keyed by the first file block of each extent.
Each value packs ``(physical_block, length, state)`` into one int, which keeps
a million-extent file well under 200 bytes an extent; callers only ever see
:class:`Extent` tuples.  Holes are simply the gaps.

Extents are kept *canonical*: two extents that touch in the file, have the
same state and touch on disk (or are both delalloc, which has no place on
disk yet) are one extent, as XFS merges its incore records
(kernel-semantics §4.1).  Sharing is not a state: it lives in the device's
refcounts, so it never splits an extent here.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from sortedcontainers import SortedDict

from mapviz.core.sortedkeys import ceil_key, floor_key, keys_from_floor, replace_key

_LENGTH_BITS = 42  # lengths below 2**40 blocks; two low bits hold the state
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1


class ExtentState(enum.IntEnum):
    """What a range of a file's blocks holds (kernel-semantics §4.1)."""

    WRITTEN = 0  # allocated and holding data
    UNWRITTEN = 1  # allocated (preallocated); reads return zeros until converted
    DELALLOC = 2  # reserved by a buffered write; no block until writeback

    @property
    def label(self) -> str:
        """The state's name in SCENARIO.md's JSON (``written`` ...)."""
        return self.name.lower()


class Extent(NamedTuple):
    """A run of file blocks ``[file_block, file_block + length)``.

    ``physical_block`` is the first device block, or ``None`` for delalloc.
    """

    file_block: int
    length: int
    physical_block: int | None
    state: ExtentState

    @property
    def end(self) -> int:
        """The file block just past the extent."""
        return self.file_block + self.length

    def clip(self, start: int, stop: int) -> Extent:
        """The part of this extent inside ``[start, stop)`` (which must overlap it)."""
        first = max(start, self.file_block)
        last = min(stop, self.end)
        physical = None
        if self.physical_block is not None:
            physical = self.physical_block + (first - self.file_block)
        return Extent(first, last - first, physical, self.state)


def _pack(length: int, physical: int | None, state: ExtentState) -> int:
    return (((physical or 0) << _LENGTH_BITS | length) << 2) | int(state)


_STATES = (ExtentState.WRITTEN, ExtentState.UNWRITTEN, ExtentState.DELALLOC)


def _unpack(start: int, value: int) -> Extent:
    state = _STATES[value & 3]
    rest = value >> 2
    physical = None if state is ExtentState.DELALLOC else rest >> _LENGTH_BITS
    # tuple.__new__ skips NamedTuple's Python-level __new__: this is on every lookup's path.
    return _new_tuple(Extent, (start, rest & _LENGTH_MASK, physical, state))


_new_tuple = tuple.__new__


def _joinable(left: Extent, right: Extent) -> bool:
    """True if ``right`` continues ``left`` in the file, on disk and in state."""
    if left.end != right.file_block or left.state != right.state:
        return False
    if left.state is ExtentState.DELALLOC:
        return True
    assert left.physical_block is not None
    return left.physical_block + left.length == right.physical_block


class ExtentMap:
    """Extents of one file (or of XFS's CoW fork), canonical and non-overlapping.

    >>> m = ExtentMap()
    >>> m.insert(0, 4, 100, ExtentState.WRITTEN)
    >>> m.insert(4, 4, 104, ExtentState.WRITTEN)   # continues on disk: merged
    >>> list(m)
    [Extent(file_block=0, length=8, physical_block=100, state=<ExtentState.WRITTEN: 0>)]
    >>> [e.length for e in m.remove(2, 3)]
    [1]
    >>> len(m)
    2
    """

    __slots__ = ("_delalloc", "_map", "delalloc_weight", "version", "weigh")

    def __init__(self, weigh: Callable[[int], int] | None = None) -> None:
        self._map: SortedDict[int, int] = SortedDict()
        # How many delalloc extents of each length, and the running sum of
        # ``weigh(length)`` over them: XFS reserves worst-case bmbt blocks per
        # delalloc extent (``Geometry.delalloc_indlen``), asked after every change.
        self._delalloc: Counter[int] = Counter()
        self.weigh = weigh
        self.delalloc_weight = 0
        # Bumped by every change, so a viewer can tell an unchanged map in O(1).
        self.version = 0

    def __len__(self) -> int:
        """Number of extents (canonical records): O(1)."""
        return len(self._map)

    def __bool__(self) -> bool:
        return bool(self._map)

    def __iter__(self) -> Iterator[Extent]:
        """Every extent in file order: O(n)."""
        for start, value in self._map.items():
            yield _unpack(start, value)

    def records(self) -> Iterator[tuple[int, int, int | None, ExtentState]]:
        """``(file_block, length, physical_block, state)`` of every extent, in file order.

        Plain tuples decoded from the packed values: a million-extent view
        bins these, and making an :class:`Extent` of each costs three times more.
        """
        states = _STATES
        for start, value in self._map.items():
            state = states[value & 3]
            rest = value >> 2
            physical = None if state is ExtentState.DELALLOC else rest >> _LENGTH_BITS
            yield start, rest & _LENGTH_MASK, physical, state

    def copy(self) -> ExtentMap:
        """A copy sharing nothing mutable (values are ints): O(n)."""
        clone = ExtentMap(self.weigh)
        clone._map = self._map.copy()
        clone._delalloc = self._delalloc.copy()
        clone.delalloc_weight = self.delalloc_weight
        return clone

    def find(self, block: int) -> Extent | None:
        """The extent holding file block ``block``, or ``None`` for a hole: O(log n)."""
        start = floor_key(self._map, block)
        if start is None:
            return None
        value = self._map[start]
        if block >= start + (value >> 2 & _LENGTH_MASK):  # past its end: a hole, no Extent made
            return None
        return _unpack(start, value)

    def span_at(self, block: int) -> tuple[int, int] | None:
        """``(first, end)`` of the extent holding ``block``, or ``None``: O(log n), no
        :class:`Extent` made (the page cache asks this for every page it walks)."""
        start = floor_key(self._map, block)
        if start is None:
            return None
        end = start + (self._map[start] >> 2 & _LENGTH_MASK)
        return (start, end) if block < end else None

    def any_in(self, start: int, stop: int) -> bool:
        """True if some block of ``[start, stop)`` is mapped: O(log n)."""
        if start >= stop:
            return False
        last = floor_key(self._map, stop - 1)  # the last extent starting in or before the range
        return last is not None and last + (self._map[last] >> 2 & _LENGTH_MASK) > start

    def preceding(self, block: int) -> Extent | None:
        """The last extent starting before ``block`` (it may hold it): O(log n)."""
        start = floor_key(self._map, block - 1)
        if start is None:
            return None
        return _unpack(start, self._map[start])

    def next_start(self, block: int) -> int | None:
        """Where the first extent starting at or after ``block`` starts, or ``None``:
        O(log n), no :class:`Extent` made (past a hole: the extent that ends it)."""
        return ceil_key(self._map, block)

    def overlapping(self, start: int, stop: int) -> Iterator[Extent]:
        """Whole extents that overlap ``[start, stop)``, in order: O(log n + k)."""
        if start >= stop:
            return
        values = self._map
        for key in keys_from_floor(values, start, stop):
            value = values[key]
            if key + (value >> 2 & _LENGTH_MASK) > start:
                yield _unpack(key, value)

    def any_in_state(self, start: int, stop: int, state: ExtentState) -> bool:
        """True if an extent in ``state`` overlaps ``[start, stop)``: O(log n + k), no
        :class:`Extent` made (asked for every page read into the cache)."""
        if start >= stop:
            return False
        values = self._map
        for key in keys_from_floor(values, start, stop):
            value = values[key]
            if _STATES[value & 3] is state and key + (value >> 2 & _LENGTH_MASK) > start:
                return True
        return False

    def holes(self, start: int, stop: int) -> Iterator[tuple[int, int]]:
        """The unmapped runs ``(first, stop)`` inside ``[start, stop)``: O(log n + k)."""
        position = start
        for key in keys_from_floor(self._map, start, stop):
            end = key + (self._map[key] >> 2 & _LENGTH_MASK)
            if key > position:
                yield position, key
            position = max(position, end)
        if position < stop:
            yield position, stop

    def clipped(self, start: int, stop: int) -> Iterator[Extent]:
        """The parts of extents inside ``[start, stop)``: O(log n + k)."""
        for extent in self.overlapping(start, stop):
            yield extent.clip(start, stop)

    def walk(self, start: int, stop: int) -> Iterator[tuple[int, int, Extent | None]]:
        """Cover ``[start, stop)`` with ``(first, last, extent_or_None)`` pieces.

        Holes come out as ``None``; extents clipped to the range.  O(log n + k).
        """
        position = start
        for piece in self.clipped(start, stop):
            if piece.file_block > position:
                yield position, piece.file_block, None
            yield piece.file_block, piece.end, piece
            position = piece.end
        if position < stop:
            yield position, stop, None

    def end_block(self) -> int:
        """The file block just past the last extent (0 when empty): O(1)."""
        if not self._map:
            return 0
        start, value = self._map.peekitem(-1)
        return _unpack(start, value).end

    def mapped_blocks(self) -> int:
        """Blocks held by real (non-delalloc) extents: O(n)."""
        return sum(e.length for e in self if e.state is not ExtentState.DELALLOC)

    def insert(
        self, file_block: int, length: int, physical_block: int | None, state: ExtentState
    ) -> None:
        """Map ``[file_block, file_block + length)``, which must be a hole: O(log n).

        Merges with neighbours that continue it (see the module docstring).
        """
        assert length > 0, length
        assert (physical_block is None) == (state is ExtentState.DELALLOC), (physical_block, state)
        # On the packed values, no Extent made: every page-cache fill and delalloc
        # reservation comes here.  Joinable as in _joinable(): touching in the file, the
        # same state, and touching on disk unless delalloc (no physical block).
        values = self._map
        first, count, physical = file_block, length, physical_block
        left_start = floor_key(values, file_block)
        if left_start is not None:
            left_value = values[left_start]
            left_length = left_value >> 2 & _LENGTH_MASK
            assert left_start + left_length <= file_block, ("not a hole", file_block)
            if left_start + left_length == file_block and left_value & 3 == state:
                left_physical = (left_value >> 2) >> _LENGTH_BITS
                if physical_block is None or left_physical + left_length == physical_block:
                    self._forget(left_start)  # grown at its end, under the same key
                    first, count = left_start, left_length + length
                    physical = None if physical_block is None else left_physical
        following = ceil_key(values, file_block)
        assert following is None or following >= file_block + length, ("not a hole", file_block)
        right_start = first + count
        right_value = values.get(right_start)
        if right_value is not None and right_value & 3 == state:
            right_length = right_value >> 2 & _LENGTH_MASK
            if physical is None or physical + count == (right_value >> 2) >> _LENGTH_BITS:
                self._forget(right_start)
                if first == file_block:  # no left merge: the right extent's key moves down
                    self._put_raw(first, count + right_length, physical, state, right_start)
                    return
                del values[right_start]
                count += right_length
        self._put_raw(first, count, physical, state)

    def insert_sorted(self, records: Iterable[tuple[int, int, int, ExtentState]]) -> None:
        """Map many ``(file_block, length, physical_block, state)`` at once: O(n log n).

        ``records`` are real (not delalloc) extents in file order, disjoint, on
        holes with no extent touching either end of their span (the caller
        checks: nothing outside them may merge); records that continue each
        other merge.  They stream into the map, never all held as a list.
        """

        def canonical() -> Iterator[tuple[int, int]]:
            last: Extent | None = None
            for file_block, length, physical_block, state in records:
                assert length > 0 and state is not ExtentState.DELALLOC, (file_block, state)
                new = Extent(file_block, length, physical_block, state)
                if last is not None:
                    assert last.end <= file_block, (last, new)
                    if _joinable(last, new):
                        new = Extent(
                            last.file_block, last.length + length, last.physical_block, state
                        )
                last = new
                # A merged extent's value overwrites the one yielded for its first part.
                yield new.file_block, _pack(new.length, new.physical_block, state)

        self.version += 1
        self._map.update(canonical())

    def remove(self, start: int, stop: int) -> list[Extent]:
        """Unmap ``[start, stop)``; return the removed pieces: O(log n + k)."""
        removed: list[Extent] = []
        for extent in list(self.overlapping(start, stop)):
            self._forget(extent.file_block)
            if extent.file_block < start:  # its head stays, under the same key
                self._put(extent.clip(extent.file_block, start))
                if extent.end > stop:
                    self._put(extent.clip(stop, extent.end))
            elif extent.end > stop:  # its tail stays: the key moves up to ``stop``
                self._put(extent.clip(stop, extent.end), moved_from=extent.file_block)
            else:
                del self._map[extent.file_block]
            removed.append(extent.clip(start, stop))
        return removed

    def set_state(self, start: int, stop: int, state: ExtentState) -> list[Extent]:
        """Give every real extent in ``[start, stop)`` a new state; return the old pieces.

        Used for unwritten <-> written conversions.  O(log n + k).
        """
        changed = [e for e in self.clipped(start, stop) if e.state is not state]
        for piece in changed:
            assert piece.state is not ExtentState.DELALLOC, piece
            self.remove(piece.file_block, piece.end)
            self.insert(piece.file_block, piece.length, piece.physical_block, state)
        return changed

    def shift(self, start: int, delta: int) -> None:
        """Move everything at or after block ``start`` by ``delta`` blocks: O(n).

        Collapse and insert range do this (kernel-semantics §4.3).  An extent
        straddling ``start`` is split there first (``xfs_bmap_split_extent``);
        the moved extents must land on a hole.
        """
        moved = self.remove(start, max(self.end_block(), start))
        for extent in moved:
            self.insert(
                extent.file_block + delta, extent.length, extent.physical_block, extent.state
            )

    def swap(self, other: ExtentMap) -> None:
        """Exchange the whole contents with ``other`` (XFS_IOC_SWAPEXT): O(1)."""
        self._map, other._map = other._map, self._map
        self._delalloc, other._delalloc = other._delalloc, self._delalloc
        self.delalloc_weight, other.delalloc_weight = other.delalloc_weight, self.delalloc_weight
        self.version += 1
        other.version += 1

    def delalloc_lengths(self) -> Iterator[tuple[int, int]]:
        """``(length, how many)`` for the delalloc extents: O(distinct lengths)."""
        return iter(self._delalloc.items())

    # A key that stays (an extent cut short or grown at its end) gets its value
    # overwritten, after _forget(), and one that moves within the extent's own span
    # is replaced in place (replace_key): taking a key out of the sorted keys to put
    # it or its neighbour back costs two sorted-list updates.

    def _put(self, extent: Extent, moved_from: int | None = None) -> None:
        self._put_raw(
            extent.file_block, extent.length, extent.physical_block, extent.state, moved_from
        )

    def _put_raw(
        self,
        start: int,
        length: int,
        physical: int | None,
        state: ExtentState,
        moved_from: int | None = None,
    ) -> None:
        """Map an extent at ``start``; ``moved_from``: in place of the (forgotten) one at
        that key, with no key between the two (:func:`replace_key`)."""
        self.version += 1
        if moved_from is None:
            self._map[start] = _pack(length, physical, state)
        else:
            replace_key(self._map, moved_from, start, _pack(length, physical, state))
        if state is ExtentState.DELALLOC:
            self._delalloc[length] += 1
            if self.weigh is not None:
                self.delalloc_weight += self.weigh(length)

    def _forget(self, start: int) -> None:
        """Take the extent at ``start`` out of the delalloc tallies (the caller removes or
        overwrites it)."""
        self.version += 1
        value = self._map[start]
        if _STATES[value & 3] is ExtentState.DELALLOC:
            length = value >> 2 & _LENGTH_MASK
            self._delalloc[length] -= 1
            if not self._delalloc[length]:
                del self._delalloc[length]
            if self.weigh is not None:
                self.delalloc_weight -= self.weigh(length)

    def _check(self) -> None:
        """Assert: positive lengths, no overlap, canonical (no joinable neighbours)."""
        previous: Extent | None = None
        for extent in self:
            assert extent.length > 0, extent
            if previous is not None:
                assert previous.end <= extent.file_block, (previous, extent)
                assert not _joinable(previous, extent), (previous, extent)
            previous = extent
        lengths = Counter(e.length for e in self if e.state is ExtentState.DELALLOC)
        assert lengths == self._delalloc, ("delalloc lengths", lengths, self._delalloc)
        if self.weigh is not None:
            weight = sum(self.weigh(n) * count for n, count in lengths.items())
            assert weight == self.delalloc_weight, ("delalloc weight", weight)
