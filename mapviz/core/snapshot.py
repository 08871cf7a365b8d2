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
    """Take the view of one file: O(n) in its extents (O(n log m) with m shared runs)."""
    bs = fs.blocksize
    # `mapviz run --json` takes a view after every step that changed a file: decode the
    # packed records, and look up sharing only when some block on the device is shared.
    nothing_shared = not len(fs.refcounts)
    delalloc = ExtentState.DELALLOC.label
    runs: list[list[Any]] = []  # [offset, length, physical, state, shared], merged as they come
    for file_block, count, physical_block, state in inode.data.records():
        label = _LABELS[state]
        pieces: list[tuple[int, int, int | None, bool]]
        if physical_block is None or nothing_shared:
            pieces = [(file_block, count, physical_block, False)]
        else:
            pieces = [
                (file_block + a - physical_block, b - a, a, shared)
                for a, b, shared in fs.shared_runs(physical_block, count)
            ]
        for block, length, physical, shared in pieces:
            offset, size = block * bs, length * bs
            address = None if physical is None else physical * bs
            if runs:
                last = runs[-1]
                # Contiguous in the file with the same state and sharing, and on disk too
                # unless delalloc (which has no disk address): one extent, as FIEMAP shows it.
                if (
                    last[0] + last[1] == offset
                    and last[3] == label
                    and last[4] == shared
                    and (label == delalloc or last[2] + last[1] == address)
                ):
                    last[1] += size
                    continue
            runs.append([offset, size, address, label, shared])
    return FileView(
        name=inode.name,
        size=inode.size,
        extents=tuple(ExtentView(*run) for run in runs),
        immutable=inode.immutable,
        swapfile=inode.swapfile,
        sealed=inode.sealed,
    )


_LABELS = {state: state.label for state in ExtentState}


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
