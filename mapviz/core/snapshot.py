"""Frozen views of files, taken after a step: what ``mapviz run --json`` prints.

An extent view is what FIEMAP (without FIEMAP_FLAG_SYNC) shows: extents in
bytes, split where sharing changes, merged where contiguous on disk with the
same state and sharing, delalloc with no physical address (SCENARIO.md
"`mapviz run --json`").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mapviz.core.extents import ExtentMap, ExtentState
from mapviz.core.filesystem import Filesystem
from mapviz.core.inode import Inode


@dataclass(frozen=True, slots=True)
class ExtentView:
    """One extent as FIEMAP reports it; offsets, lengths and ``physical`` in bytes."""

    offset: int
    length: int
    physical: int | None
    state: str
    shared: bool

    @property
    def end(self) -> int:
        return self.offset + self.length

    def to_json(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "length": self.length,
            "physical": self.physical,
            "state": self.state,
            "shared": self.shared,
        }


@dataclass(frozen=True, slots=True)
class FileView:
    """A file after a step: size, extents and the flags a view shows."""

    name: str
    size: int
    extents: tuple[ExtentView, ...]
    immutable: bool = False
    swapfile: bool = False
    sealed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "extents": [e.to_json() for e in self.extents]}


def file_view(fs: Filesystem, inode: Inode) -> FileView:
    """Take the view of one file: O(n) in its extents."""
    bs = fs.blocksize
    out: list[ExtentView] = []
    for extent in inode.data:
        pieces: list[tuple[int, int, int | None, bool]]
        if extent.physical_block is None:
            pieces = [(extent.file_block, extent.length, None, False)]
        else:
            pieces = [
                (extent.file_block + a - extent.physical_block, b - a, a, shared)
                for a, b, shared in fs.shared_runs(extent.physical_block, extent.length)
            ]
        for block, length, physical, shared in pieces:
            view = ExtentView(
                block * bs,
                length * bs,
                None if physical is None else physical * bs,
                extent.state.label,
                shared,
            )
            if out and _continues(out[-1], view):
                last = out[-1]
                view = ExtentView(
                    last.offset, last.length + view.length, last.physical, last.state, last.shared
                )
                out[-1] = view
            else:
                out.append(view)
    return FileView(
        name=inode.name,
        size=inode.size,
        extents=tuple(out),
        immutable=inode.immutable,
        swapfile=inode.swapfile,
        sealed=inode.sealed,
    )


def _continues(left: ExtentView, right: ExtentView) -> bool:
    if left.end != right.offset or left.state != right.state or left.shared != right.shared:
        return False
    if left.state == ExtentState.DELALLOC.label:
        return True
    assert left.physical is not None and right.physical is not None
    return left.physical + left.length == right.physical


T = TypeVar("T")


class PerFileMemo(Generic[T]):
    """``derive(fs, inode)`` per file, taken again only when what a file view reads changed.

    Most steps leave most files alone, and the view of a file of a million
    extents takes seconds.  A view reads the file's block map (its
    ``version``), size and flags, and the device's shared runs (a reflink
    elsewhere can share this file's blocks without touching its map).
    """

    def __init__(self, derive: Callable[[Filesystem, Inode], T]) -> None:
        self._derive = derive
        self._last: dict[str, tuple[ExtentMap, tuple[object, ...], T]] = {}

    def get(self, fs: Filesystem, inode: Inode) -> T:
        inputs = (
            inode.data.version,
            inode.size,
            inode.immutable,
            inode.swapfile,
            inode.sealed,
            tuple(fs.refcounts.items()),
        )
        last = self._last.get(inode.name)
        # The map itself is held, not its id(): a file made again has a new map.
        if last is not None and last[0] is inode.data and last[1] == inputs:
            return last[2]
        value = self._derive(fs, inode)
        self._last[inode.name] = (inode.data, inputs, value)
        return value
