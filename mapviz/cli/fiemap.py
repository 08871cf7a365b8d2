"""``mapviz fiemap PATH``: a real file's block map, as xfs_io shows it or as JSON.

Read-only: the file is opened ``O_RDONLY`` and FIEMAP runs without
``FIEMAP_FLAG_SYNC`` unless ``--sync`` asks for it.  Where FIEMAP is missing
(tmpfs, NFS ...) the map comes from SEEK_DATA/SEEK_HOLE, and the output says
that physical locations are unknown.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path, PurePath
from typing import TextIO

from mapviz.errors import MapvizError
from mapviz.realfs.blockmap import BlockMap, read_block_map
from mapviz.realfs.errors import shown
from mapviz.realfs.records import FIEMAP_EXTENT_DATA_INLINE, FIEMAP_EXTENT_UNKNOWN
from mapviz.report.fiemap_table import fiemap_table

PROG = "mapviz fiemap"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``fiemap`` subcommand."""
    parser = subparsers.add_parser(
        "fiemap",
        help="show a real file's block map (FIEMAP, or SEEK_DATA/SEEK_HOLE)",
        description="Read a real file's block map with the FS_IOC_FIEMAP ioctl "
        "(SEEK_DATA/SEEK_HOLE where FIEMAP is unsupported) and print it like "
        "'xfs_io -c \"fiemap -v\"' (units: 512-byte sectors). Nothing is written.",
    )
    parser.add_argument("path", metavar="PATH", help="a regular file (symlinks are followed)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        action="store_true",
        help='print {"files": {NAME: {"size": ..., "extents": [...]}}} (SCENARIO.md)',
    )
    output.add_argument(
        "--scenario",
        action="store_true",
        help="print a scenario prologue (%%fs, truncate, %%extent ...) that rebuilds the layout",
    )
    output.add_argument(
        "--html",
        metavar="OUT",
        help="draw the map in the three-layer view as one offline HTML page",
    )
    parser.add_argument(
        "--fs",
        choices=("xfs", "ext4"),
        help="replay the layout on this simulated filesystem (with --scenario or --html); "
        "MAP_DIRECT was XFS-only, so an ext4 file's map asks its question with --fs xfs",
    )
    parser.add_argument(
        "--theme",
        choices=("light", "dark", "talk"),
        default="light",
        help="the page's theme (with --html)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.add_argument(
        "--sync",
        action="store_true",
        help="flush dirty data first (FIEMAP_FLAG_SYNC, as xfs_io does); this writes back",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Read the map and print it; bad input raises :class:`MapvizError`."""
    progress = _Progress(sys.stderr)
    try:
        block_map = read_block_map(args.path, sync=args.sync, progress=progress)
    except MapvizError as error:
        raise MapvizError(f"{PROG}: {error}") from None
    finally:
        progress.close()
    if args.json:
        from mapviz.realfs.export import iter_files_json  # json: only when asked for

        if block_map.method == "seek":
            print(f"{PROG}: {_seek_note(block_map)}", file=sys.stderr)
        _write(chain(iter_files_json(block_map), "\n"))
        return 0
    if args.html:
        _html(block_map, Path(args.html), args.theme, force=args.force, fs_type=args.fs)
        return 0
    if args.scenario:
        from mapviz.realfs.export import scenario_prologue

        try:
            lines = scenario_prologue(block_map, fs_type=args.fs)
        except MapvizError as error:
            raise MapvizError(f"{PROG}: {shown(args.path)}: {error}") from None
        # In pieces: a 100,000-extent prologue need not become one huge string.
        _write("\n".join(lines[i : i + 4096]) + "\n" for i in range(0, len(lines), 4096))
        return 0
    if block_map.method == "seek":
        _write(line + "\n" for line in _seek_lines(block_map))
        return 0
    name = shown(block_map.path)  # as xfs_io names it, but never breaking a line
    table = fiemap_table(_table_records(block_map), verbose=True, size=block_map.size)
    # Written as it is formatted, a few thousand lines at a time.
    _write(chain([f"{_header(block_map)}\n{name}:\n"], ("\n".join(c) + "\n" for c in table)))
    return 0


def _html(
    block_map: BlockMap, output: Path, theme: str, *, force: bool, fs_type: str | None = None
) -> None:
    """The real file, replayed in the simulator, drawn as the export page draws scenarios."""
    from mapviz.cli.output import check_target, write_atomic

    check_target(output, force=force, command=PROG)
    from mapviz.realfs.export import scenario_prologue
    from mapviz.realfs.replay import simulation_from_block_map  # simulator, Bokeh: when asked
    from mapviz.render.html import standalone_html
    from mapviz.view import Storyboard

    try:
        prologue = "\n".join(scenario_prologue(block_map, fs_type=fs_type)) + "\n"
        sim = simulation_from_block_map(block_map, fs_type=fs_type)
    except MapvizError as error:
        raise MapvizError(f"{PROG}: {shown(block_map.path)}: {error}") from None
    title = f"{shown(block_map.path)}: the block map of a real {block_map.filesystem.name} file"
    view = Storyboard(sim, title).view()
    page = standalone_html(
        view, theme, name=PurePath(block_map.path).name, source_text=prologue
    ).encode("utf-8")
    write_atomic(output, page, force=force, command=PROG)
    print(f"wrote {output} ({len(page) / 1e6:.1f} MB)")


def _table_records(block_map: BlockMap) -> Iterator[tuple[int, int, int, int]]:
    """The records as xfs_io's table shows them: no address (0) where FIEMAP has none."""
    no_address = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DATA_INLINE  # FiemapExtent.physical
    extents = block_map.extents
    if not any(flags & no_address for flags in extents.columns()[3]):
        return extents.tuples()
    return (
        (offset, 0 if flags & no_address else address, length, flags)
        for offset, address, length, flags in extents.tuples()
    )


def _write(pieces: Iterable[str]) -> None:
    write = sys.stdout.write
    for piece in pieces:
        write(piece)


def _header(block_map: BlockMap) -> str:
    """One line naming the method, so nobody mistakes a SEEK map for FIEMAP."""
    filesystem = block_map.filesystem
    where = f"{shown(block_map.path)} on {filesystem.name} (block size {filesystem.blocksize})"
    if block_map.method == "seek":
        return f"# {where}: {_seek_note(block_map)}"
    sync = "with" if block_map.synced else "without"
    count = len(block_map.extents)
    return f"# {where}: FIEMAP {sync} FIEMAP_FLAG_SYNC, {count} extent{'s' * (count != 1)}"


def _seek_note(block_map: BlockMap) -> str:
    return (
        f"FIEMAP not supported on {block_map.filesystem.name} ({block_map.fiemap_error}); "
        "data ranges from SEEK_DATA/SEEK_HOLE, physical locations unknown"
    )


def _seek_lines(block_map: BlockMap) -> list[str]:
    """Where FIEMAP is missing: what ``xfs_io -c 'fiemap -v'`` prints, then the data ranges.

    xfs_io prints the file's name, then (on stderr) the ioctl's error and
    nothing else: no table, since there are no block ranges to show.  The
    data ranges follow as ``xfs_io -c 'seek -r -a 0'`` prints them (byte
    offsets; ``HOLE`` at the end of the last data range).
    """
    from mapviz.core.seek import run_seek  # the simulator's module: only when asked for

    name = shown(block_map.path)
    print(f'xfs_io: ioctl(FS_IOC_FIEMAP) ["{name}"]: {block_map.fiemap_error}', file=sys.stderr)
    lines = [
        f"# {shown(block_map.path)} on {block_map.filesystem.name} (block size "
        f"{block_map.filesystem.blocksize}): {_seek_note(block_map)}; "
        "they follow as xfs_io -c 'seek -r -a 0' prints them",
        f"{name}:",
    ]
    ranges = [(offset, offset + length) for offset, _, length, _ in block_map.extents.tuples()]
    return lines + run_seek(ranges, block_map.size, 0, data=True, hole=True, repeat=True).lines


class _Progress:
    """A one-line progress bar on a terminal's stderr, for reads that take a while.

    Nothing appears for a quick read (under ``delay`` seconds) or when the
    stream is not a terminal; the line is redrawn at most ``interval`` apart
    and erased at the end.
    """

    def __init__(self, stream: TextIO, *, delay: float = 0.25, interval: float = 0.1) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.delay = delay
        self.interval = interval
        self.drawn_at: float | None = None

    def __call__(self, reached: int, size: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < self.delay:
            return
        if self.drawn_at is not None and now - self.drawn_at < self.interval:
            return
        self.drawn_at = now
        fraction = min(reached / size, 1.0) if size else 1.0
        width = 30
        bar = "#" * int(fraction * width)
        self.stream.write(f"\rreading block map [{bar:<{width}}] {fraction:4.0%}")
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar, if one was drawn."""
        if self.drawn_at is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
