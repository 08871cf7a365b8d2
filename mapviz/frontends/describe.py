"""The state a view shows, in words: for a notebook's "check" cells.

A claim in a notebook's prose ("fsync allocated the blocks", "the load over
the hole mapped the zero page") should be visible as text too, so a reader
(and the test run) can check it without looking at the picture.

>>> from mapviz.scenario import load_scenario
>>> from mapviz.view import Storyboard
>>> board = Storyboard.from_scenario(load_scenario("tour"))
>>> print(describe_scene(board.scenes[2]))  # after pwrite: delalloc, dirty in the cache
file data: 64 KiB
  [0, 64 KiB)  delalloc  no block yet
  page cache: [0, 64 KiB) in frames 0..15, dirty [0, 64 KiB)
>>> print(describe_scene(board.scenes[3]))  # after fsync: written to real blocks, clean
file data: 64 KiB
  [0, 64 KiB)  written  device blocks 24..39
  page cache: [0, 64 KiB) in frames 0..15, clean
"""

from __future__ import annotations

from mapviz.core.memory import PAGE_SIZE
from mapviz.core.scene import FileScene, MappingScene, Scene
from mapviz.scenario.numbers import human_bytes

TARGETS = {
    "frame": "page-cache frame",
    "block": "device block",
    "zero": "the zero page",
    "anon": "private frame",
}


def describe_scene(scene: Scene) -> str:
    """Every file (extents, page cache, seal) and mapping (present entries) of ``scene``."""
    lines: list[str] = []
    for file in scene.files:
        lines.extend(_file(file, scene.blocksize))
    for mapping in scene.mappings:
        lines.extend(_mapping(mapping))
    return "\n".join(lines) if lines else "nothing yet: no file, no mapping"


def _span(start: int, end: int) -> str:
    return f"[{_bytes(start)}, {_bytes(end)})"


def _bytes(count: int) -> str:
    return "0" if count == 0 else human_bytes(count)


def _numbers(first: int, count: int, noun: str) -> str:
    """``device blocks 24..39``, or ``device block 24`` for one."""
    return f"{noun}s {first}..{first + count - 1}" if count > 1 else f"{noun} {first}"


def _file(file: FileScene, blocksize: int) -> list[str]:
    marks = [
        word
        for word, on in (
            ("sealed (block map pinned)", file.sealed),
            ("active swapfile", file.swapfile),
            ("immutable", file.immutable),
            ("layout lease", file.leased),
        )
        if on
    ]
    out = [f"file {file.name}: {_bytes(file.size)}" + "".join(f", {m}" for m in marks)]
    position = 0
    for extent in file.extents:
        if extent.offset > position:
            out.append(f"  {_span(position, extent.offset)}  hole")
        where = (
            "no block yet"
            if extent.physical is None
            else _numbers(extent.physical // blocksize, extent.length // blocksize, "device block")
        )
        shared = " shared" if extent.shared else ""
        out.append(f"  {_span(extent.offset, extent.end)}  {extent.state}{shared}  {where}")
        position = extent.end
    if position < file.size:
        out.append(f"  {_span(position, file.size)}  hole")
    if file.cached:
        cached = ", ".join(
            f"{_span(run.start, run.end)} in "
            f"{_numbers(run.target, (run.end - run.start) // PAGE_SIZE, 'frame')}"
            for run in file.cached
        )
        dirty = ", ".join(_span(run.start, run.end) for run in file.dirty)
        out.append(f"  page cache: {cached}, " + (f"dirty {dirty}" if dirty else "clean"))
    return out


def _mapping(mapping: MappingScene) -> list[str]:
    head = f"mapping {mapping.label} ({_bytes(mapping.length)})"
    if mapping.revoked:
        head += ", revoked"
    if not mapping.pages:
        return [head, "  no page present (nothing touched yet)"]
    out = [head]
    for run in mapping.pages:
        target, _, writable = run.kind.partition("-")
        where = TARGETS.get(target, target)
        if target != "zero":
            where = _numbers(run.target, (run.end - run.start) // PAGE_SIZE, where)
        access = "writable" if writable else "read-only"
        out.append(f"  present {_span(run.start, run.end)} -> {where}, {access}")
    return out
