"""What a divergence is about, read back from its text.

Divergences travel as text (``log.jsonl``, the printed report), in the form
``str(mapviz.realkernel.normalise.Divergence)`` gives them::

    line 7 `pwrite 0 4k`: result: real ENOSPC, simulated ok
    line 9 `fpunch 0 4k`: file a: size: real 4096, simulated 8192
    line 9 `fpunch 0 4k`: file a: layout: real [0,4k) hole, [4k,8k) data, simulated [0,8k) data
    line 9 `close`: file b: file: real present, simulated absent
    line 12 `mread`: step: real ran, simulated missing

plus ``line 0 `crash`: simulator raised ...`` when the simulator itself
failed.  A *signature* drops what differs from case to case (line numbers,
byte offsets, file names) and keeps what the difference is about, so that
many random cases group under a few signatures and the shrinker can tell
"still the same bug" from "some other divergence".
"""

from __future__ import annotations

import re

_DIVERGENCE = re.compile(r"^line (\d+) `([^`]*)`: (.*)$", re.S)
_SIDES = re.compile(r"^real (.*), simulated (.*)$", re.S)
_SEGMENT = re.compile(r"\[(\w+),(\w+)\) ([a-z ]+)")
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
PAST_EOF = "eof"
"""The state of a byte range one side's layout does not reach."""


def crash_divergence(error: BaseException) -> str:
    """The divergence text for a simulator that raised instead of running the case."""
    return f"line 0 `crash`: simulator raised {error!r}"


def first_line_of(divergence: str) -> int | None:
    """The scenario line a divergence is at (None: not a divergence's text).

    >>> first_line_of("line 7 `pwrite 0 4k`: result: real ENOSPC, simulated ok")
    7
    """
    match = _DIVERGENCE.match(divergence)
    return int(match.group(1)) if match else None


def signature(divergence: str) -> str:
    """What a divergence is about, without line numbers, byte offsets or file names.

    >>> signature("line 7 `falloc -kp 4k 8k`: file a: size: real 4096, simulated 12288")
    'falloc -kp: size <'
    >>> signature("line 3 `pwrite -S 0x61 0 4k`: result: real ENOSPC, simulated ok")
    'pwrite -S: result: real ENOSPC, simulated ok'
    """
    match = _DIVERGENCE.match(divergence)
    if not match:
        return re.sub(r"\d+", "N", divergence.split("\n")[0])
    command, subject = match.group(2), match.group(3).split("\n")[0]
    verb = _verb(command)
    if subject.startswith("result:"):
        return f"{verb}: {subject}"
    subject = re.sub(r"^file \S+: ", "", subject)
    if subject.startswith("size:"):
        real, simulated = re.findall(r"-?\d+", subject)[:2]
        return f"{verb}: size {'<' if int(real) < int(simulated) else '>'}"
    if subject.startswith("layout:"):
        return f"{verb}: {_layout_difference(subject.removeprefix('layout:').strip())}"
    return f"{verb}: {re.sub(r'[0-9]+', 'N', subject)}"


def _verb(command: str) -> str:
    """The command's name and its flag words, sorted (``pwrite -S -w``).

    A flag word keeps its letters in order: for xfs_io's falloc the last of
    ``-k``/``-p``/``-c``/``-u`` sets the mode, so ``-kp`` is not ``-pk``.
    """
    words = command.split() or ["?"]
    flags = sorted(word for word in words[1:] if re.fullmatch(r"-[a-zA-Z]+", word))
    return " ".join([words[0], *flags])


def _layout_difference(sides: str) -> str:
    """``layout REAL->SIMULATED``: the states at the first offset where the layouts differ.

    >>> _layout_difference("real [0,4k) hole, [4k,8k) data, simulated [0,8k) data")
    'layout hole->data'
    >>> _layout_difference("real [0,8k) unwritten, simulated [0,4k) unwritten, [4k,8k) data")
    'layout unwritten->data'
    """
    match = _SIDES.match(sides)
    if not match:
        return "layout"
    real, simulated = _segments(match.group(1)), _segments(match.group(2))
    for offset in sorted({edge for start, end, _ in real + simulated for edge in (start, end)}):
        real_state, simulated_state = _state_at(real, offset), _state_at(simulated, offset)
        if real_state != simulated_state:
            return f"layout {real_state}->{simulated_state}"
    return "layout"


def _segments(description: str) -> list[tuple[int, int, str]]:
    """``[0,4k) hole, [4k,8k) data`` (normalise.describe) as (start, end, state) triples."""
    return [
        (_bytes(start), _bytes(end), state.strip())
        for start, end, state in _SEGMENT.findall(description)
    ]


def _state_at(segments: list[tuple[int, int, str]], offset: int) -> str:
    for start, end, state in segments:
        if start <= offset < end:
            return state
    return PAST_EOF


def _bytes(text: str) -> int:
    """A size as ``short_bytes`` writes it: ``64k`` -> 65536."""
    match = re.fullmatch(r"(\d+)([kmgt]?)", text)
    if not match:
        raise ValueError(f"not a size: {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]
