"""FIEMAP extent records: typed and immutable, stored packed.

A large file has 100,000+ extents.  Rather than one Python object per
extent, :class:`ExtentArray` keeps the kernel's own ``struct fiemap_extent``
bytes and builds a :class:`FiemapExtent` only when one is looked at; bulk
consumers walk plain tuples with :meth:`ExtentArray.tuples`, which
``struct.iter_unpack`` produces in C.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import NamedTuple, overload

# FIEMAP extent flags (include/uapi/linux/fiemap.h).
FIEMAP_EXTENT_LAST = 0x0001
FIEMAP_EXTENT_UNKNOWN = 0x0002
FIEMAP_EXTENT_DELALLOC = 0x0004
FIEMAP_EXTENT_ENCODED = 0x0008
FIEMAP_EXTENT_DATA_ENCRYPTED = 0x0080
FIEMAP_EXTENT_NOT_ALIGNED = 0x0100
FIEMAP_EXTENT_DATA_INLINE = 0x0200
FIEMAP_EXTENT_DATA_TAIL = 0x0400
FIEMAP_EXTENT_UNWRITTEN = 0x0800
FIEMAP_EXTENT_MERGED = 0x1000
FIEMAP_EXTENT_SHARED = 0x2000

FLAG_NAMES = {
    FIEMAP_EXTENT_LAST: "last",
    FIEMAP_EXTENT_UNKNOWN: "unknown",
    FIEMAP_EXTENT_DELALLOC: "delalloc",
    FIEMAP_EXTENT_ENCODED: "encoded",
    FIEMAP_EXTENT_DATA_ENCRYPTED: "encrypted",
    FIEMAP_EXTENT_NOT_ALIGNED: "not_aligned",
    FIEMAP_EXTENT_DATA_INLINE: "inline",
    FIEMAP_EXTENT_DATA_TAIL: "tail",
    FIEMAP_EXTENT_UNWRITTEN: "unwritten",
    FIEMAP_EXTENT_MERGED: "merged",
    FIEMAP_EXTENT_SHARED: "shared",
}
"""Names of the FIEMAP extent flags, in bit order."""

# struct fiemap_extent: fe_logical, fe_physical, fe_length, 2 reserved u64,
# fe_flags, 3 reserved u32 -- padding skipped so each unpack is one record.
EXTENT_STRUCT = struct.Struct("=QQQ16xI12x")
_FLAGS_WORD = 40 // 4  # fe_flags: the 32-bit word after three u64 fields and two reserved


class FiemapExtent(NamedTuple):
    """One ``struct fiemap_extent``, in bytes.

    >>> extent = FiemapExtent(offset=0, address=8814592, length=65536, flags=0x801)
    >>> extent.state, extent.physical, extent.shared, extent.flag_names
    ('unwritten', 8814592, False, ('last', 'unwritten'))
    """

    offset: int
    """``fe_logical``: file offset of the first byte."""
    address: int
    """``fe_physical`` as the kernel returned it (0 when unknown)."""
    length: int
    """``fe_length`` in bytes."""
    flags: int
    """``fe_flags``: ``FIEMAP_EXTENT_*`` bits."""

    @property
    def end(self) -> int:
        """File offset just past the extent."""
        return self.offset + self.length

    @property
    def physical(self) -> int | None:
        """Device byte address, or ``None`` where FIEMAP gives no block of its own.

        UNKNOWN covers delalloc and data not yet placed; inline data lives
        inside metadata, so its address is not a block a simulator could hold.
        """
        if self.flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DATA_INLINE):
            return None
        return self.address

    @property
    def state(self) -> str:
        """``"written"``, ``"unwritten"`` or ``"delalloc"``."""
        if self.flags & FIEMAP_EXTENT_DELALLOC:
            return "delalloc"
        if self.flags & FIEMAP_EXTENT_UNWRITTEN:
            return "unwritten"
        return "written"

    @property
    def shared(self) -> bool:
        """Blocks shared with another file (reflink, dedupe, snapshot)."""
        return bool(self.flags & FIEMAP_EXTENT_SHARED)

    @property
    def flag_names(self) -> tuple[str, ...]:
        """The set flags by name, in bit order."""
        return tuple(name for bit, name in FLAG_NAMES.items() if self.flags & bit)


_record = partial(tuple.__new__, FiemapExtent)  # C-level constructor from a tuple


class ExtentArray(Sequence[FiemapExtent]):
    """An immutable sequence of FIEMAP records held as packed kernel structs.

    >>> array = ExtentArray.from_records([FiemapExtent(0, 4096, 8192, 0x1)])
    >>> len(array), array[0].length, array[-1].flag_names, list(array.tuples())
    (1, 8192, ('last',), [(0, 4096, 8192, 1)])
    """

    __slots__ = ("_data",)

    def __init__(self, data: bytes = b"") -> None:
        if len(data) % EXTENT_STRUCT.size:
            raise ValueError("not a whole number of struct fiemap_extent")
        self._data = data

    @classmethod
    def from_records(cls, records: Iterable[tuple[int, int, int, int]]) -> ExtentArray:
        """Pack ``(offset, address, length, flags)`` records."""
        return cls(b"".join(EXTENT_STRUCT.pack(*record) for record in records))

    @property
    def data(self) -> bytes:
        """The packed ``struct fiemap_extent`` array."""
        return self._data

    def tuples(self) -> Iterator[tuple[int, int, int, int]]:
        """``(offset, address, length, flags)`` plain tuples: the fast way through."""
        return EXTENT_STRUCT.iter_unpack(self._data)

    def columns(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """``(offsets, addresses, lengths, flags)``: each field of every record, as a list.

        Read straight out of the packed structs in C, for checks over a whole
        file that a loop per extent would make slow (``mapviz fiemap`` on
        100,000+ extents).

        >>> ExtentArray.from_records([(0, 4096, 8192, 0x800), (8192, 0, 4096, 0x7)]).columns()
        ([0, 8192], [4096, 0], [8192, 4096], [2048, 7])
        """
        words = memoryview(self._data).cast("Q")  # fe_logical, fe_physical, fe_length, ...
        stride = EXTENT_STRUCT.size // 8
        flags = memoryview(self._data).cast("I")[_FLAGS_WORD :: EXTENT_STRUCT.size // 4]
        return (
            words[0::stride].tolist(),
            words[1::stride].tolist(),
            words[2::stride].tolist(),
            flags.tolist(),
        )

    def __len__(self) -> int:
        return len(self._data) // EXTENT_STRUCT.size

    @overload
    def __getitem__(self, index: int) -> FiemapExtent: ...

    @overload
    def __getitem__(self, index: slice) -> ExtentArray: ...

    def __getitem__(self, index: int | slice) -> FiemapExtent | ExtentArray:
        size = EXTENT_STRUCT.size
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return ExtentArray(self._data[start * size : max(start, stop) * size])
            return ExtentArray.from_records(self[i] for i in range(start, stop, step))
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("extent index out of range")
        return _record(EXTENT_STRUCT.unpack_from(self._data, index * size))

    def __iter__(self) -> Iterator[FiemapExtent]:
        return map(_record, EXTENT_STRUCT.iter_unpack(self._data))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ExtentArray):
            return self._data == other._data
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        return f"<ExtentArray of {len(self)} extents>"
