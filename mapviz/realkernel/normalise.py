"""Real against simulated, step by step, under the conformance suite's normalisation.

The rules are those of ``docs/conformance.md`` ("What is compared"):
steps are paired by scenario line; ``result`` must be identical; for every
file, ``size`` must be identical and so must the *logical* layout, where

* physical addresses are ignored;
* ``written`` and ``delalloc`` are both **data**, ``unwritten`` stays
  **unwritten**, and each extent keeps its ``shared`` flag;
* extents are clipped at EOF rounded up to the block size (post-EOF
  preallocation is not compared);
* adjacent ranges with the same state and shared flag are merged; holes
  are the gaps.

A step or a file on one side only is a difference.  ``why``, ``events``,
``process`` and ``file`` are not compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mapviz.core.changes import full_steps
from mapviz.scenario.numbers import short_bytes


@dataclass(frozen=True, slots=True)
class Segment:
    """A normalised range ``[start, end)`` of a file: ``data`` or ``unwritten``, maybe shared."""

    start: int
    end: int
    state: str
    shared: bool

    @property
    def label(self) -> str:
        return self.state + (" shared" if self.shared else "")


Layout = tuple[Segment, ...]


def normalise(size: int, extents: Iterable[Mapping[str, Any]], blocksize: int) -> Layout:
    """A file's extents (``mapviz run --json`` form) as a normalised layout.

    >>> normalise(6000, [
    ...     {"offset": 0, "length": 4096, "state": "written", "shared": False},
    ...     {"offset": 4096, "length": 4096, "state": "delalloc", "shared": False},
    ...     {"offset": 8192, "length": 65536, "state": "unwritten", "shared": False},
    ... ], 4096)
    (Segment(start=0, end=8192, state='data', shared=False),)
    """
    eof = -(-size // blocksize) * blocksize
    pieces = []
    for extent in extents:
        start = int(extent["offset"])
        end = min(start + int(extent["length"]), eof)
        if end <= start:
            continue
        state = "unwritten" if extent["state"] == "unwritten" else "data"
        pieces.append((start, end, state, bool(extent.get("shared", False))))
    merged: list[Segment] = []
    for start, end, state, shared in sorted(pieces):
        last = merged[-1] if merged else None
        if last is not None and start <= last.end and (last.state, last.shared) == (state, shared):
            merged[-1] = Segment(last.start, max(last.end, end), state, shared)
        elif last is not None and start < last.end:
            # Overlapping extents of different kinds (never from FIEMAP): keep the tail.
            if end > last.end:
                merged.append(Segment(last.end, end, state, shared))
        else:
            merged.append(Segment(start, end, state, shared))
    return tuple(merged)


def describe(layout: Layout, size: int, blocksize: int) -> str:
    """The layout with the holes spelt out, up to EOF rounded up to a block.

    >>> describe((Segment(4096, 8192, "data", False),), 12288, 4096)
    '[0,4k) hole, [4k,8k) data, [8k,12k) hole'
    """
    eof = -(-size // blocksize) * blocksize
    parts = []
    position = 0
    for segment in layout:
        if segment.start > position:
            parts.append(f"[{short_bytes(position)},{short_bytes(segment.start)}) hole")
        parts.append(f"[{short_bytes(segment.start)},{short_bytes(segment.end)}) {segment.label}")
        position = segment.end
    if position < eof:
        parts.append(f"[{short_bytes(position)},{short_bytes(eof)}) hole")
    return ", ".join(parts) if parts else "(empty)"


@dataclass(frozen=True, slots=True)
class Divergence:
    """One difference between the real and the simulated run of a step.

    ``what`` is ``result``, ``size``, ``layout``, ``file`` (a file on one
    side only) or ``step`` (a step on one side only); ``real`` and
    ``simulated`` say what each side had, in words.
    """

    line: int
    command: str
    what: str
    real: str
    simulated: str
    file: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line} `{self.command}`"
        subject = f"file {self.file}: {self.what}" if self.file else self.what
        return f"{where}: {subject}: real {self.real}, simulated {self.simulated}"


@dataclass(frozen=True, slots=True)
class StepPair:
    """A scenario step as the real kernel and the simulator ran it (None: not run there)."""

    line: int
    command: str
    real: Mapping[str, Any] | None
    simulated: Mapping[str, Any] | None
    divergences: tuple[Divergence, ...]

    @property
    def agrees(self) -> bool:
        return not self.divergences


def pair_steps(real: Mapping[str, Any], simulated: Mapping[str, Any]) -> list[StepPair]:
    """Pair the two runs' steps by line, in scenario order, with their divergences.

    ``real`` and ``simulated`` are ``mapviz run --json`` documents, in schema
    1's form or ``--changes``'s (unchanged files carried forward); the block
    size for clipping at EOF is the real run's.
    """
    blocksize = int((real.get("fs") or {}).get("blocksize") or 4096)
    waiting: dict[int, list[Mapping[str, Any]]] = {}
    for step in full_steps(simulated):
        waiting.setdefault(int(step["line"]), []).append(step)
    pairs = []
    for step in full_steps(real):
        candidates = waiting.get(int(step["line"])) or []
        other = candidates.pop(0) if candidates else None
        pairs.append(_pair(step, other, blocksize))
    leftovers = [step for steps in waiting.values() for step in steps]
    pairs += [_pair(None, step, blocksize) for step in leftovers]
    pairs.sort(key=lambda pair: pair.line)
    return pairs


def compare_runs(real: Mapping[str, Any], simulated: Mapping[str, Any]) -> list[Divergence]:
    """Every divergence between the two runs (empty: they agree)."""
    return [d for pair in pair_steps(real, simulated) for d in pair.divergences]


def _pair(
    real: Mapping[str, Any] | None, simulated: Mapping[str, Any] | None, blocksize: int
) -> StepPair:
    known = real if real is not None else simulated
    assert known is not None
    line, command = int(known["line"]), str(known["command"])
    if real is None or simulated is None:
        here = "missing" if real is None else "ran"
        there = "ran" if real is None else "missing"
        divergence = Divergence(line, command, "step", here, there)
        return StepPair(line, command, real, simulated, (divergence,))
    found: list[Divergence] = []
    if real["result"] != simulated["result"]:
        found.append(Divergence(line, command, "result", real["result"], simulated["result"]))
    found += _file_divergences(line, command, real["files"], simulated["files"], blocksize)
    return StepPair(line, command, real, simulated, tuple(found))


def _file_divergences(
    line: int,
    command: str,
    real: Mapping[str, Any],
    simulated: Mapping[str, Any],
    blocksize: int,
) -> list[Divergence]:
    found = []
    for name in _union(real, simulated):
        if name not in simulated or name not in real:
            present = "present" if name in real else "absent"
            absent = "absent" if name in real else "present"
            found.append(Divergence(line, command, "file", present, absent, name))
            continue
        real_size, simulated_size = int(real[name]["size"]), int(simulated[name]["size"])
        if real_size != simulated_size:
            found.append(
                Divergence(line, command, "size", str(real_size), str(simulated_size), name)
            )
        real_layout = normalise(real_size, real[name]["extents"], blocksize)
        simulated_layout = normalise(simulated_size, simulated[name]["extents"], blocksize)
        if real_layout != simulated_layout:
            found.append(
                Divergence(
                    line,
                    command,
                    "layout",
                    describe(real_layout, real_size, blocksize),
                    describe(simulated_layout, simulated_size, blocksize),
                    name,
                )
            )
    return found


def _union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    """Names of both, in first-seen order."""
    names = list(first)
    names += [name for name in second if name not in names]
    return names
