"""A scene: everything the views draw after one step, as plain frozen data.

Taken from the machine right after each step (the core's trace keeps file
views only; the views also need page tables, the page cache and the device).
Byte units throughout.  Files with very many extents are binned at
extraction, so a scene stays small whatever the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapviz.core.machine import Machine
from mapviz.core.snapshot import ExtentView, file_view
from mapviz.scenario.syntax import PAGE_SIZE

MAX_EXTENTS = 4096
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


def take_scene(machine: Machine, names: list[str]) -> Scene:
    """The scene of ``machine`` now; ``names`` are the files in the order they appear."""
    fs = machine.fs
    bs = fs.blocksize
    files = []
    for name in names:
        inode = fs.files.get(name)
        if inode is None:
            continue
        view = file_view(fs, inode)
        extents, binned = _level_of_detail(view.extents, max(inode.size, view.extents[-1].end
                                                             if view.extents else 0))
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


def _level_of_detail(
    extents: tuple[ExtentView, ...], span: int
) -> tuple[tuple[ExtentView, ...], bool]:
    """At most MAX_EXTENTS extents: equal bins, each showing its dominant state."""
    if len(extents) <= MAX_EXTENTS or span <= 0:
        return extents, False
    width = -(-span // MAX_EXTENTS)
    weights: dict[int, dict[tuple[str, bool], int]] = {}
    first_physical: dict[int, int | None] = {}
    for extent in extents:
        position = extent.offset
        while position < extent.end:
            index = position // width
            stop = min(extent.end, (index + 1) * width)
            bucket = weights.setdefault(index, {})
            key = (extent.state, extent.shared)
            bucket[key] = bucket.get(key, 0) + stop - position
            if index not in first_physical and extent.physical is not None:
                first_physical[index] = extent.physical + position - extent.offset
            position = stop
    binned = []
    for index in sorted(weights):
        (state, shared), _ = max(weights[index].items(), key=lambda item: item[1])
        binned.append(ExtentView(index * width, width, first_physical.get(index), state, shared))
    return tuple(binned), True
