"""Beats: a step's animations merged by kind and given a place on the step's clock.

A step can hold dozens of events (``mwrite 0 64k`` faults sixteen pages, each
with a ``fault`` and a ``map_page``).  Played one by one they would either
take half a minute or flicker past unreadably, so events of one kind are
merged into one *beat* that plays over the union of their ranges, in the
order the kinds first happened.  A beat's duration depends on its kind (a
refusal is held long enough to read; an ``open`` is a blink), and the whole
step is squeezed into :data:`MAX_STEP_MS`.  Pure data: no Bokeh here.

>>> from mapviz.scenario import load_scenario
>>> from mapviz.view import Storyboard
>>> view = Storyboard.from_scenario(load_scenario("hole-sigbus")).view()
>>> [(b.kind, b.count) for b in step_beats(view.frames[8].animations)]
[('fault', 1), ('sigbus', 1)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mapviz.view.frames import Animation

# Milliseconds at 1x speed.  Refusals and signals are the point of a talk: they
# stay up longest.  Unlisted kinds get DEFAULT_MS.
BEAT_MS = {
    "fault": 900.0,
    "map_page": 800.0,
    "seal": 1300.0,
    "unseal": 800.0,
    "swapon": 1300.0,
    "lease": 1000.0,
    "refuse": 1700.0,
    "sigbus": 1700.0,
    "sigsegv": 1700.0,
    "lease_break": 1200.0,
    "time": 2000.0,
    "revoke": 1400.0,
    "open": 350.0,
    "close": 350.0,
    "flags": 500.0,
}
DEFAULT_MS = 650.0
MAX_STEP_MS = 5200.0
MIN_BEAT_MS = 300.0
GAP = 0.5
"""Ranges of one kind in one band closer than this (x units) merge into one."""


@dataclass(frozen=True, slots=True)
class Beat:
    """Events of one kind in one step, played together.

    ``places`` are ``(band, x0, x1)``; ``start`` and ``duration`` are
    milliseconds from the start of the step at 1x speed; ``count`` is how many
    events were merged; ``until`` a lease break's deadline; ``result`` an
    errno or signal (for ``time``: what the wait is for).
    """

    index: int
    kind: str
    start: float
    duration: float
    places: tuple[tuple[int, float, float], ...]
    text: str
    result: str
    count: int
    until: float | None


def step_beats(animations: Iterable[Animation]) -> list[Beat]:
    """Merge a frame's animations by kind, in the order each kind first happened.

    Parameters
    ----------
    animations
        A frame's ``animations`` (``Frame.animations``), in event order.

    Returns
    -------
    list[Beat]
        Back to back on the step's clock; the whole step lasts at most
        :data:`MAX_STEP_MS` unless every beat is at its :data:`MIN_BEAT_MS`.
    """
    kinds: dict[str, list[Animation]] = {}
    for animation in animations:
        kinds.setdefault(animation.kind, []).append(animation)
    drafts = []
    for kind, group in kinds.items():
        orders = sorted({a.order for a in group})
        first = min(group, key=lambda a: a.order)
        text = first.text if len(orders) == 1 else f"{first.text} (+{len(orders) - 1} more)"
        until = next((a.until for a in group if a.until is not None), None)
        result = next((a.result for a in group if a.result), "")
        if kind == "time":
            # What the wait is for, as the countdown's label ("lease break: 12 s left").
            result = "lease break" if "lease_break" in kinds else "wait"
        drafts.append((kind, _merge(group), text, result, len(orders), until))
    wanted = [BEAT_MS.get(kind, DEFAULT_MS) for kind, *_ in drafts]
    total = sum(wanted)
    scale = min(1.0, MAX_STEP_MS / total) if total else 1.0
    out = []
    clock = 0.0
    for index, ((kind, places, text, result, count, until), ms) in enumerate(
        zip(drafts, wanted, strict=True)
    ):
        duration = max(MIN_BEAT_MS, ms * scale)
        out.append(Beat(index, kind, clock, duration, places, text, result, count, until))
        clock += duration
    return out


def _merge(group: list[Animation]) -> tuple[tuple[int, float, float], ...]:
    """Union of the group's ranges, per band (bands top to bottom, ranges left to right)."""
    by_band: dict[int, list[tuple[float, float]]] = {}
    for a in group:
        by_band.setdefault(a.band, []).append((a.x0, a.x1))
    out: list[tuple[int, float, float]] = []
    for band in sorted(by_band):
        merged: list[list[float]] = []
        for x0, x1 in sorted(by_band[band]):
            if merged and x0 <= merged[-1][1] + GAP:
                merged[-1][1] = max(merged[-1][1], x1)
            else:
                merged.append([x0, x1])
        out.extend((band, x0, x1) for x0, x1 in merged)
    return tuple(out)
