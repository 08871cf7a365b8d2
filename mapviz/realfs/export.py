"""A real block map in mapviz's own terms: SCENARIO.md's ``files`` JSON, a prologue.

Both are pure functions of a :class:`~mapviz.realfs.blockmap.BlockMap`.  The
JSON merges adjacent extents that are contiguous on disk with the same state
and shared flag, as SCENARIO.md asks ("as FIEMAP shows them"); the prologue
rebuilds the layout with ``%extent`` lines so a simulation can start from it.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import islice
from operator import add, eq
from pathlib import PurePath
from typing import NamedTuple

from mapviz.realfs.blockmap import BlockMap
from mapviz.realfs.errors import NoBlockMapError, shown
from mapviz.realfs.records import (
    FIEMAP_EXTENT_DATA_INLINE,
    FIEMAP_EXTENT_DELALLOC,
    FIEMAP_EXTENT_SHARED,
    FIEMAP_EXTENT_UNKNOWN,
    FIEMAP_EXTENT_UNWRITTEN,
    ExtentArray,
)

MIN_DEVICE = 16 << 20
"""Smallest ``%fs size=`` a prologue asks for."""
MAX_DEVICE = 16 << 40
"""Largest ``%fs size=`` (SCENARIO.md's limit for a simulated device)."""
_DEVICE_ROUNDING = 1 << 20  # whole MiB: readable, and block aligned for any blocksize
_NO_ADDRESS = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DATA_INLINE
_KIND = FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_SHARED


class Run(NamedTuple):
    """A merged extent in SCENARIO.md's terms (bytes; ``physical`` None if unknown)."""

    offset: int
    length: int
    physical: int | None
    state: str
    shared: bool


_new_run = partial(tuple.__new__, Run)  # C-level constructor from a tuple


def _state(kind: int) -> tuple[str, bool]:
    if kind & FIEMAP_EXTENT_DELALLOC:
        return "delalloc", bool(kind & FIEMAP_EXTENT_SHARED)
    if kind & FIEMAP_EXTENT_UNWRITTEN:
        return "unwritten", bool(kind & FIEMAP_EXTENT_SHARED)
    return "written", bool(kind & FIEMAP_EXTENT_SHARED)


# (state, shared) for every combination of the flags that tell runs apart.
_STATES = {kind: _state(kind) for kind in range(_KIND + 1) if kind & ~_KIND == 0}
_JSON_TAILS = {
    kind: f'"state": "{state}", "shared": {"true" if shared else "false"}}}'
    for kind, (state, shared) in _STATES.items()
}


def merged_runs(extents: Iterable[tuple[int, int, int, int]]) -> Iterator[Run]:
    """Merge neighbours that are contiguous in the file and on disk, same state and sharing.

    Extents without a physical address merge when they touch in the file.

    >>> records = [(0, 8192, 4096, 0), (4096, 12288, 4096, 0x1), (8192, 0, 4096, 0x7)]
    >>> [tuple(run) for run in merged_runs(records)]
    [(0, 8192, 8192, 'written', False), (8192, 4096, None, 'delalloc', False)]
    """
    for offset, length, physical, kind in _merged(extents):
        yield _new_run((offset, length, physical, *_STATES[kind]))


def _merged(
    extents: Iterable[tuple[int, int, int, int]],
) -> Iterator[tuple[int, int, int | None, int]]:
    """``(offset, length, physical or None, kind flags)`` of each merged run."""
    # One pass over plain tuples with the run in locals: this loop runs once
    # per extent of files with 100,000+ of them.
    iterator = extents.tuples() if isinstance(extents, ExtentArray) else iter(extents)
    first = next(iterator, None)
    if first is None:
        return
    offset, address, length, flags = first
    end = offset + length
    kind = flags & _KIND
    known = not flags & _NO_ADDRESS
    for next_offset, next_address, next_length, next_flags in iterator:
        if next_offset == end and next_flags & _KIND == kind:
            if next_flags & _NO_ADDRESS:
                if not known:
                    end = next_offset + next_length
                    continue
            elif known and next_address == address + end - offset:
                end = next_offset + next_length
                continue
        yield offset, end - offset, address if known else None, kind
        offset, address, end = next_offset, next_address, next_offset + next_length
        kind = next_flags & _KIND
        known = not next_flags & _NO_ADDRESS
    yield offset, end - offset, address if known else None, kind


def files_json(block_map: BlockMap, name: str | None = None) -> str:
    """``{"files": {NAME: {"size": ..., "extents": [...]}}}``, one extent per line.

    The text is valid JSON in SCENARIO.md's shape; ``name`` defaults to the
    file's base name.

    >>> from mapviz.realfs.blockmap import FileSystem
    >>> block_map = BlockMap("/tmp/f", 4096, FileSystem(0xEF53, 4096), "fiemap", False,
    ...                      ExtentArray.from_records([(0, 8192, 4096, 0x801)]))
    >>> print(files_json(block_map))
    {"files": {"f": {"size": 4096, "extents": [
    {"offset": 0, "length": 4096, "physical": 8192, "state": "unwritten", "shared": false}
    ]}}}
    """
    return "".join(iter_files_json(block_map, name))


def iter_files_json(
    block_map: BlockMap, name: str | None = None, *, chunk: int = 4096
) -> Iterator[str]:
    """The text of :func:`files_json` in pieces of ``chunk`` extents, for streaming.

    Writing pieces spares a multi-megabyte string (and its page faults) for
    files with 100,000+ extents.

    >>> from mapviz.realfs.blockmap import FileSystem
    >>> block_map = BlockMap("/tmp/f", 0, FileSystem(0xEF53, 4096), "fiemap", False,
    ...                      ExtentArray())
    >>> list(iter_files_json(block_map))
    ['{"files": {"f": {"size": 0, "extents": [', ']}}}']
    """
    name = PurePath(block_map.path).name if name is None else name
    yield f'{{"files": {{{json.dumps(name)}: {{"size": {block_map.size}, "extents": ['
    separator = "\n"
    for lines in _json_lines(block_map.extents, chunk):
        yield separator + ",\n".join(lines)
        separator = ",\n"
    yield "]}}}" if separator == "\n" else "\n]}}}"


def _json_lines(extents: ExtentArray, chunk: int) -> Iterator[list[str]]:
    """Each merged run's line of :func:`files_json`, in lists of ``chunk``.

    Written by hand rather than json.dumps: one line per extent, and three
    times faster for the files this is meant for.
    """
    offsets, addresses, lengths, flags = extents.columns()
    if not any(map(eq, islice(offsets, 1, None), map(add, offsets, lengths))):
        # No extent ends where the next begins, so none merges (a fragmented file, the
        # case that has 100,000 extents): format the records as they are, no loop in Python.
        for at in range(0, len(offsets), chunk):
            part = slice(at, at + chunk)
            yield [
                f'{{"offset": {offset}, "length": {length}, '
                f'"physical": {"null" if kind & _NO_ADDRESS else address}, '
                f"{_JSON_TAILS[kind & _KIND]}"
                for offset, address, length, kind in zip(
                    offsets[part], addresses[part], lengths[part], flags[part], strict=True
                )
            ]
        return
    runs = _merged(extents)
    while lines := [
        f'{{"offset": {offset}, "length": {length}, '
        f'"physical": {"null" if physical is None else physical}, {_JSON_TAILS[kind]}'
        for offset, length, physical, kind in islice(runs, chunk)
    ]:
        yield lines


def scenario_prologue(
    block_map: BlockMap,
    name: str | None = None,
    *,
    place: bool = True,
    fs_type: str | None = None,
) -> list[str]:
    """A scenario prologue that recreates ``block_map`` in the simulator.

    ``%fs`` takes the real type when it is xfs or ext4 (else xfs, with a
    comment), or ``fs_type`` when given -- the same layout replayed on another
    filesystem, which a ``%note`` says (MAP_DIRECT was XFS-only: an ext4
    file's map asks its question on a simulated XFS) -- and a device just big
    enough for every physical extent; the file
    is truncated to its size first because ``%extent`` never changes the size;
    each extent is rounded out to whole blocks.  ``place=False`` leaves the
    physical addresses out, so the simulated allocator chooses them.  Delalloc ranges have no place
    on disk yet: a buffered ``pwrite`` recreates them.

    Raises
    ------
    NoBlockMapError
        The extents span more than :data:`MAX_DEVICE` of the device.

    Examples
    --------
    >>> from mapviz.realfs.blockmap import FileSystem
    >>> block_map = BlockMap("/data/f", 10000, FileSystem(0x58465342, 4096), "fiemap",
    ...                      False, ExtentArray.from_records([(0, 8 << 20, 4096, 0),
    ...                                                       (4096, 0, 4096, 0x7)]))
    >>> print("\\n".join(scenario_prologue(block_map)[2:]))
    %kernel map-direct-v5
    %fs xfs blocksize=4k size=16m
    open -f f
    truncate 10000
    %extent 0 4k 8m
    pwrite -q 4k 4k
    """
    filesystem = block_map.filesystem
    blocksize = filesystem.blocksize
    name = _scenario_name(PurePath(block_map.path).name if name is None else name)
    runs = list(_block_runs(merged_runs(block_map.extents), blocksize))
    shift, device = _device(runs, blocksize, filesystem.device_size)
    method = (
        "FIEMAP" + (" after FIEMAP_FLAG_SYNC" if block_map.synced else "")
        if block_map.method == "fiemap"
        else "SEEK_DATA/SEEK_HOLE"
    )
    lines = [
        f"# Block map of {_one_line(block_map.path)} on {filesystem.name}, read with {method}",
        f"%title {_one_line(name)}: the block map of a real {filesystem.name} file",
        "%kernel map-direct-v5",
    ]
    real_type = filesystem.name if filesystem.name in ("xfs", "ext4") else "xfs"
    if real_type != filesystem.name:
        lines.append(f"# {filesystem.name} is not modelled; xfs stands in for it")
    if fs_type is not None and fs_type != real_type:
        lines.append(
            f"%note The layout of a real {filesystem.name} file, replayed on a "
            f"simulated {fs_type} (the real file is untouched)."
        )
    elif real_type != "xfs":
        lines.append(
            "# MAP_DIRECT (v5) was wired up for XFS only: `mapviz fiemap --fs xfs` "
            "replays this layout on a simulated XFS"
        )
    fs_type = fs_type or real_type
    if block_map.method == "seek":
        lines.append("# physical locations unknown (no FIEMAP): the simulator chooses them")
    if shift:
        lines.append(f"# physical addresses moved down by {short_bytes(shift)} to fit the device")
    lines += [
        f"%fs {fs_type} blocksize={short_bytes(blocksize)} size={short_bytes(device)}",
        f"open -f {name}",
        f"truncate {block_map.size}",
    ]
    if not place:
        lines.append("# physical addresses left to the simulated allocator")
        runs = [run._replace(physical=None) for run in runs]
    else:
        runs = _off_metadata(runs, shift, fs_type, device, blocksize, lines)
    for run in runs:
        lines.extend(_replay(run, shift, block_map.size))
    return lines


def _off_metadata(
    runs: list[Run], shift: int, fs_type: str, device: int, blocksize: int, lines: list[str]
) -> list[Run]:
    """``runs`` with those whose blocks the simulated mkfs keeps for itself left to the allocator.

    Another filesystem's layout (ext4's, replayed on a simulated XFS) or a
    real mkfs that differs from the model can put data where the simulated
    filesystem has its own headers and log.  Those runs lose their address and
    come last, after every run that keeps one, so the allocator cannot take
    a block a later line names.
    """
    # Imported here: `mapviz fiemap`'s table and JSON need no simulator.
    from mapviz.core.fs import mkfs_geometry

    metadata = sorted(mkfs_geometry(fs_type, device, blocksize, True).metadata)
    starts = [start for start, _ in metadata]

    def on_metadata(run: Run) -> bool:
        if run.physical is None or run.state == "delalloc":
            return False
        first = (run.physical - shift) // blocksize
        stop = first + -(-run.length // blocksize)
        index = bisect_right(starts, stop - 1) - 1
        return index >= 0 and metadata[index][0] + metadata[index][1] > first

    moved = [run for run in runs if on_metadata(run)]
    if not moved:
        return runs
    some = f"{len(moved):,} extents fall" if len(moved) > 1 else "1 extent falls"
    lines.append(
        f"# {some} on the simulated {fs_type}'s own metadata: the simulator places "
        + ("them (last)" if len(moved) > 1 else "it (last)")
    )
    return [run for run in runs if not on_metadata(run)] + [
        run._replace(physical=None) for run in moved
    ]


def _block_runs(runs: Iterable[Run], blocksize: int) -> Iterator[Run]:
    """Round every run out to whole blocks, trimming any overlap that creates."""
    previous_end = 0
    for offset, length, physical, state, shared in runs:
        start = max(offset // blocksize * blocksize, previous_end)
        end = -(-(offset + length) // blocksize) * blocksize
        if end <= start:
            continue
        if physical is not None:
            physical = (physical + start - offset) // blocksize * blocksize
        previous_end = end
        yield Run(start, end - start, physical, state, shared)


def _device(runs: list[Run], blocksize: int, real_size: int = 0) -> tuple[int, int]:
    """(shift, size): a device holding every placed run, moved down if past 16t.

    The real device's size when it is known and allowed, so the simulated mkfs
    puts its metadata where the real one did; else just big enough.
    """
    placed = [run for run in runs if run.physical is not None and run.state != "delalloc"]
    top = max((run.physical + run.length for run in placed if run.physical is not None), default=0)
    shift = 0
    if top > MAX_DEVICE:
        low = min(run.physical for run in placed if run.physical is not None)
        shift = low // _DEVICE_ROUNDING * _DEVICE_ROUNDING
        top -= shift
        if top > MAX_DEVICE:
            raise NoBlockMapError(
                f"the extents span {short_bytes(top)} of the device, more than the "
                f"{short_bytes(MAX_DEVICE)} a simulated device can have"
            )
    size = -(-top // _DEVICE_ROUNDING) * _DEVICE_ROUNDING
    if not shift and MIN_DEVICE <= real_size <= MAX_DEVICE and real_size >= top:
        return 0, real_size // blocksize * blocksize
    return shift, max(size, MIN_DEVICE, blocksize)


def _replay(run: Run, shift: int, size: int) -> list[str]:
    """The scenario lines that recreate one run."""
    offset, length, physical, state, shared = run
    if state == "delalloc":
        # A buffered write makes delalloc; beyond EOF it would move EOF, and
        # truncate (which would restore it) frees post-EOF blocks again.
        end = min(offset + length, size)
        if end <= offset:
            return [f"# delalloc {short_bytes(offset)}+{short_bytes(length)} past EOF: left out"]
        return [f"pwrite -q {short_bytes(offset)} {short_bytes(end - offset)}"]
    words = ["%extent", short_bytes(offset), short_bytes(length)]
    if physical is not None:
        words.append(short_bytes(physical - shift))
    if state == "unwritten":
        words.append("unwritten")
    if shared:
        words.append("shared")
    return [" ".join(words)]


def short_bytes(n: int) -> str:
    """A size as a scenario writes it: the largest exact k/m/g/t unit.

    >>> short_bytes(65536), short_bytes(10000), short_bytes(0)
    ('64k', '10000', '0')
    """
    for shift, suffix in ((40, "t"), (30, "g"), (20, "m"), (10, "k")):
        if n and n % (1 << shift) == 0:
            return f"{n >> shift}{suffix}"
    return str(n)


def _scenario_name(name: str) -> str:
    """A file name the scenario lexer reads as one plain word."""
    cleaned = re.sub(r"[^A-Za-z0-9._+-]", "_", name).lstrip("-") or "file"
    return cleaned


def _one_line(text: str) -> str:
    """Text for a directive or comment: printable, one line, no comment sign."""
    return shown(text).replace("#", "?")
