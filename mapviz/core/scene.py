"""A scene: everything the views draw after one step, as plain frozen data.

Taken from the machine right after each step and carried by the step
(``Step.scene``, when the simulation records scenes): the files, their page
cache, every mapping's page-table entries and the device, so a view is a
pure function of the steps and never reads the live machine.
Byte units throughout.  Files with very many extents are binned at
extraction, so a scene stays small whatever the file; a :data:`ShownExtents` memo
keeps each file's (binned) extents from step to step while its block map
stays the same, so a step costs little however big the files it leaves alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mapviz.core.filesystem import Filesystem
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE
from mapviz.core.snapshot import ExtentView, PerFileMemo, file_view

MAX_EXTENTS = 2048
"""Above this many extents a file is binned into this many equal ranges (level of detail)."""


@dataclass(frozen=True, slots=True)
class Run:
    """A run of something: ``[start, end)`` with a kind and an optional target number."""

    start: int
    end: int
    kind: str
    target: int = 0
    extra: str = ""


@dataclass(frozen=True, slots=True)
class FileScene:
    name: str
    size: int
    extents: tuple[ExtentView, ...]
    dirty: tuple[Run, ...]  # byte ranges whose page-cache data is newer than the disk
    cached: tuple[Run, ...]  # byte ranges in the page cache; ``target`` = first frame
    sealed: bool
    swapfile: bool
    immutable: bool
    leased: bool
    binned: bool = False  # extents are bins, not real extents (level of detail)


@dataclass(frozen=True, slots=True)
class MappingScene:
    id: int
    process: str
    start: int  # virtual address
    length: int
    file: str | None
    file_offset: int
    label: str  # MAP_SHARED|MAP_DIRECT ...
    writable: bool
    direct: bool
    sync: bool
    revoked: bool
    pages: tuple[Run, ...]  # present entries: offsets within the mapping; kind = target


@dataclass(frozen=True, slots=True)
class Scene:
    files: tuple[FileScene, ...]
    mappings: tuple[MappingScene, ...]
    device_size: int
    blocksize: int
    metadata: tuple[Run, ...]  # device byte ranges the filesystem itself uses
    dax: bool
    clock: float

    def file(self, name: str) -> FileScene | None:
        return next((f for f in self.files if f.name == name), None)


def take_scene(machine: Machine, names: list[str], shown: ShownExtents | None = None) -> Scene:
    """The scene of ``machine`` now; ``names`` are the files in the order they appear.

    ``shown`` carries files' extents over from the previous scenes (see
    :data:`ShownExtents`); without it every file's extents are taken afresh.
    """
    fs = machine.fs
    bs = fs.blocksize
    shown = shown if shown is not None else shown_extents()
    files = []
    for name in names:
        inode = fs.files.get(name)
        if inode is None:
            continue
        extents, binned = shown.get(fs, inode)
        files.append(
            FileScene(
                name=name,
                size=inode.size,
                extents=extents,
                dirty=tuple(Run(a * bs, b * bs, "dirty") for a, b in inode.cache.dirty),
                cached=tuple(
                    Run(page * PAGE_SIZE, (page + count) * PAGE_SIZE, "cached", frame)
                    for page, count, frame in inode.cache.runs()
                ),
                sealed=inode.sealed,
                swapfile=inode.swapfile,
                immutable=inode.immutable,
                leased=bool(inode.leases),
                binned=binned,
            )
        )
    mappings = []
    for process in machine.processes.values():
        for mapping in process.mappings:
            mappings.append(
                MappingScene(
                    id=mapping.id,
                    process=mapping.process,
                    start=mapping.start,
                    length=mapping.length,
                    file=mapping.file,
                    file_offset=mapping.file_offset,
                    label=mapping.describe(),
                    writable=mapping.writable,
                    direct=mapping.direct,
                    sync=mapping.sync,
                    revoked=mapping.revoked,
                    pages=_page_runs(mapping.start, mapping.ptes),
                )
            )
    return Scene(
        files=tuple(files),
        mappings=tuple(sorted(mappings, key=lambda m: m.id)),
        device_size=fs.geometry.total_blocks * bs,
        blocksize=bs,
        metadata=tuple(Run(a * bs, (a + n) * bs, "metadata") for a, n in fs.geometry.metadata),
        dax=fs.config.dax,
        clock=machine.clock,
    )


def _page_runs(start: int, ptes: object) -> tuple[Run, ...]:
    """Present entries as runs of offsets in the mapping, merged where they continue."""
    runs: list[Run] = []
    for vpage, pte in ptes.items():  # type: ignore[attr-defined]
        offset = vpage * PAGE_SIZE - start
        kind = pte.target + ("-w" if pte.writable else "")
        contiguous_target = pte.target == "zero" or (
            runs and runs[-1].target + (offset - runs[-1].start) // PAGE_SIZE == pte.number
        )
        if runs and runs[-1].end == offset and runs[-1].kind == kind and contiguous_target:
            last = runs[-1]
            runs[-1] = Run(last.start, offset + PAGE_SIZE, kind, last.target)
        else:
            runs.append(Run(offset, offset + PAGE_SIZE, kind, pte.number))
    return tuple(runs)


ShownExtents = PerFileMemo[tuple[tuple[ExtentView, ...], bool]]
"""Each file's extents as drawn, carried from scene to scene while its view would not change."""


def shown_extents() -> ShownExtents:
    """A fresh memo of files' drawn extents (a storyboard keeps one for all its scenes)."""
    return PerFileMemo(_file_extents)


_Piece = tuple[int, int, int | None, str, bool]
"""``(offset, end, physical, state, shared)`` of an extent, in bytes (physical None: delalloc)."""


def _file_extents(fs: Filesystem, inode: Inode) -> tuple[tuple[ExtentView, ...], bool]:
    """The file's extents as FIEMAP shows them, or MAX_EXTENTS bins when there are more."""
    bs = fs.blocksize
    span = max(inode.size, inode.data.end_block() * bs)
    if len(inode.data) > MAX_EXTENTS and len(fs.refcounts) == 0:
        # Unshared, each record is one extent view: bin the records as they are
        # stored rather than make a million views only to bin them.
        pieces: Iterable[_Piece] = (
            (
                start * bs,
                (start + length) * bs,
                None if physical is None else physical * bs,
                state.label,
                False,
            )
            for start, length, physical, state in inode.data.records()
        )
        return _binned(pieces, span), True
    views = file_view(fs, inode).extents
    if len(views) <= MAX_EXTENTS:
        return views, False
    return _binned(((v.offset, v.end, v.physical, v.state, v.shared) for v in views), span), True


def _binned(pieces: Iterable[_Piece], span: int) -> tuple[ExtentView, ...]:
    """MAX_EXTENTS equal bins over ``[0, span)``, each showing its dominant state.

    A bin shows the (state, shared) covering most of its bytes (the first seen
    of a tie) and the device byte under its first byte that has one.  Bins
    nothing covers are left out.  ``pieces`` come in file order, so the bins
    fill one after the other.
    """
    width = -(-span // MAX_EXTENTS)
    weights: dict[int, dict[tuple[str, bool], int]] = {}
    first_physical: dict[int, int] = {}
    for offset, end, physical, state, shared in pieces:
        key = (state, shared)
        position = offset
        while position < end:
            index = position // width
            stop = min(end, (index + 1) * width)
            bucket = weights.get(index)
            if bucket is None:
                bucket = weights[index] = {}
            bucket[key] = bucket.get(key, 0) + stop - position
            if physical is not None and index not in first_physical:
                first_physical[index] = physical + position - offset
            position = stop
    binned = []
    for index, bucket in weights.items():
        state, shared = max(bucket.items(), key=lambda item: item[1])[0]
        binned.append(ExtentView(index * width, width, first_physical.get(index), state, shared))
    return tuple(binned)
