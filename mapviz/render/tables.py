"""A view as the column tables the browser player reads: numbers, not Bokeh models.

Every frame's glyphs go into one *store* table (a ``frame`` column plus
display columns already resolved for the theme: hatch, hatch ink, outline);
frames whose glyphs did not change (``fsync`` of clean data, a refused
command) point at an earlier frame's rows instead of repeating them.  The
*story* table has one row per frame: where its rows are, and what the step
says.  The *beats* table has one row per place of an animation beat.  The
player slices these into the small sources it draws, so the big tables are
sent once and never redrawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mapviz.render.hatching import group_of
from mapviz.render.theme import PINNED_HATCH, SHARED_HATCH, Theme
from mapviz.render.timeline import step_beats
from mapviz.view.frames import STATES, Frame
from mapviz.view.storyboard import View

NUMERIC = {"x0": np.float64, "x1": np.float64, "y0": np.float64, "y1": np.float64,
           "state": np.uint8, "band": np.int16, "file": np.int32, "f0": np.float64,
           "f1": np.float64, "d0": np.float64, "d1": np.float64, "c0": np.float64,
           "c1": np.float64, "shared": np.uint8, "pinned": np.uint8}
"""Numeric glyph columns and the dtype they travel in (ranges may exceed 2**31: float64)."""

RANGE_COLUMNS = ("file", "f0", "f1", "d0", "d1", "c0", "c1")
MIN_WIDTH = 2.0  # x units (of 1000): about a pixel and a half on a laptop screen


@dataclass(slots=True)
class Tables:
    """Column dicts for the player's sources (see the module docstring)."""

    quads: dict[str, Any]
    links: dict[str, Any]
    badges: dict[str, Any]
    story: dict[str, Any]
    beats: dict[str, Any]
    bands: dict[str, Any]
    states: list[str] = field(default_factory=list)
    """States that appear anywhere in the view, for the legend (STATES order)."""
    shared: bool = False
    pinned: bool = False


def build_tables(view: View, theme: Theme) -> Tables:
    """All tables for ``view`` drawn in ``theme``.

    Parameters
    ----------
    view
        The frames, from ``Storyboard.view()``.
    theme
        Resolves what the tables carry precomputed (hatch groups, outlines, colours).

    Returns
    -------
    Tables
        Column dicts: numeric columns as numpy arrays (sent compactly), text as lists.
    """
    quads: dict[str, list[Any]] = {name: [] for name in (
        "frame", *NUMERIC, "hg", "mg", "edge", "ew", "tip")}
    links: dict[str, list[Any]] = {name: [] for name in (
        "frame", "xs", "ys", "fill", "fa", "la", "kind", "tip", *RANGE_COLUMNS)}
    badges: dict[str, list[Any]] = {"frame": [], "band": [], "text": []}
    story: dict[str, list[Any]] = {name: [] for name in (
        "frame", "qlo", "qhi", "llo", "lhi", "glo", "ghi", "blo", "bhi", "command", "result",
        "why", "note", "carried", "process", "line", "clock", "output", "expect")}
    beats: dict[str, list[Any]] = {name: [] for name in (
        "frame", "beat", "kind", "t0", "dur", "band", "x0", "x1", "text", "result", "count",
        "until", "clock0")}
    layers = {band.index: band.layer for band in view.layout.bands}
    seen_quads: dict[Any, tuple[int, int]] = {}
    seen_links: dict[Any, tuple[int, int]] = {}
    used_states: set[int] = set()
    any_shared = any_pinned = False
    note = ""
    clock = 0.0
    for frame in view.frames:
        q_key = _key(frame.quads)
        if q_key not in seen_quads:
            start = len(quads["frame"])
            _add_quads(quads, frame, theme, layers)
            seen_quads[q_key] = (start, len(quads["frame"]))
        l_key = _key(frame.links)
        if l_key not in seen_links:
            start = len(links["frame"])
            _add_links(links, frame, theme)
            seen_links[l_key] = (start, len(links["frame"]))
        used_states.update(frame.quads["state"])
        any_shared = any_shared or any(frame.quads["shared"])
        any_pinned = any_pinned or any(frame.quads["pinned"])
        glo = len(badges["frame"])
        for band, text in frame.badges:
            badges["frame"].append(frame.index)
            badges["band"].append(band)
            badges["text"].append(text)
        blo = len(beats["frame"])
        _add_beats(beats, frame, clock)
        step = frame.step
        carried = False
        if step is not None and step.note:
            note = step.note
        elif step is not None:
            carried = bool(note)
        else:
            note = ""
        story["frame"].append(frame.index)
        story["qlo"].append(seen_quads[q_key][0])
        story["qhi"].append(seen_quads[q_key][1])
        story["llo"].append(seen_links[l_key][0])
        story["lhi"].append(seen_links[l_key][1])
        story["glo"].append(glo)
        story["ghi"].append(len(badges["frame"]))
        story["blo"].append(blo)
        story["bhi"].append(len(beats["frame"]))
        story["command"].append(step.command if step else "")
        story["result"].append(step.result if step else "")
        story["why"].append((step.why or "") if step else "")
        story["note"].append(note if step else "")
        story["carried"].append(carried)
        story["process"].append(step.process if step else "")
        story["line"].append(step.line if step else 0)
        story["clock"].append(frame.clock)
        story["output"].append("\n".join(step.output) if step else "")
        story["expect"].append((step.expect or "") if step else "")
        clock = frame.clock
    bands: dict[str, list[Any]] = {"index": [], "layer": [], "key": [], "label": [], "y0": [],
                                   "y1": []}
    for each in view.layout.bands:
        bands["index"].append(each.index)
        bands["layer"].append(each.layer)
        bands["key"].append(each.key)
        bands["label"].append(each.label)
        bands["y0"].append(each.y0)
        bands["y1"].append(each.y1)
    return Tables(
        quads={name: _array(name, values) for name, values in quads.items()},
        links=links,
        badges=badges,
        story=story,
        beats=beats,
        bands=bands,
        states=[STATES[code] for code in sorted(used_states)],
        shared=any_shared,
        pinned=any_pinned,
    )


def _key(columns: dict[str, list[Any]]) -> tuple[Any, ...]:
    """A hashable fingerprint of a frame's glyph columns (to share identical frames)."""
    return tuple(tuple(map(_hashable, values)) for values in columns.values())


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _array(name: str, values: list[Any]) -> Any:
    if name == "frame":
        return np.asarray(values, dtype=np.int32)
    if name == "ew":
        return np.asarray(values, dtype=np.float32)
    if name in ("hg", "mg"):
        return np.asarray(values, dtype=np.int8)
    if name in NUMERIC:
        return np.asarray(values, dtype=NUMERIC[name])
    return values


def _add_quads(out: dict[str, list[Any]], frame: Frame, theme: Theme,
               layers: dict[int, str]) -> None:
    q = frame.quads
    pin_colour = theme.colour("green")
    for i in range(len(q["x0"])):
        state = STATES[q["state"][i]]
        pinned, shared = bool(q["pinned"][i]), bool(q["shared"][i])
        out["frame"].append(frame.index)
        for name in NUMERIC:
            out[name].append(q[name][i])
        # A page of a large file is a fraction of a pixel: draw it at least MIN_WIDTH wide.
        out["x1"][-1] = max(q["x1"][i], q["x0"][i] + MIN_WIDTH)
        # Hatches by group (see hatching.py).  A MAP_DIRECT mapping is "pinned" too, but
        # what is pinned is the block map: the pin hatch goes on file and device glyphs,
        # the mapping keeps only the outline.  Pinned *and* shared: the pin takes the mark,
        # the shared hatch the state's place.
        pin_mark = pinned and layers.get(q["band"][i]) != "virtual"
        own = SHARED_HATCH if pin_mark and shared else None
        out["hg"].append(group_of(theme, "state", state, own))
        mark = PINNED_HATCH if pin_mark else SHARED_HATCH if shared else None
        out["mg"].append(group_of(theme, "mark", state, mark) if mark else -1)
        # A pinned glyph gets a heavy outline in the seal colour; others a hairline in the
        # background colour, so neighbouring extents of one state stay tellable apart.
        out["edge"].append(pin_colour if pinned else theme.background)
        out["ew"].append(theme.line_width * 3 if pinned else theme.line_width)
        out["tip"].append(q["tip"][i])


LINK_COLOURS = {"vma": "muted", "cache": "green", "entry": "orange"}


def _add_links(out: dict[str, list[Any]], frame: Frame, theme: Theme) -> None:
    links = frame.links
    for i in range(len(links["xs"])):
        kind = links["kind"][i]
        if kind == "extent":
            colour = theme.state_colour(STATES[links["state"][i]])
        else:
            colour = theme.colour(LINK_COLOURS.get(kind, "muted"))
        out["frame"].append(frame.index)
        out["xs"].append(list(links["xs"][i]))
        out["ys"].append(list(links["ys"][i]))
        # A mapping's ribbon is context, not news: faint.  Page-table entries are drawn
        # mostly as edges: under DAX they run from the top layer to the bottom one, across
        # the extent ribbons, and two translucent fills over each other turn to mud.
        fill_alpha, line_alpha = {
            "vma": (theme.link_alpha * 0.5, theme.link_alpha),
            "entry": (theme.link_alpha * 0.35, min(1.0, theme.link_alpha * 3.5)),
        }.get(kind, (theme.link_alpha, min(1.0, theme.link_alpha * 2.2)))
        out["fill"].append(colour)
        out["fa"].append(fill_alpha)
        out["la"].append(line_alpha)
        out["kind"].append(kind)
        out["tip"].append(links["tip"][i])
        for name in RANGE_COLUMNS:
            out[name].append(links[name][i])


def _add_beats(out: dict[str, list[Any]], frame: Frame, clock0: float) -> None:
    for beat in step_beats(frame.animations):
        for band, x0, x1 in beat.places:
            out["frame"].append(frame.index)
            out["beat"].append(beat.index)
            out["kind"].append(beat.kind)
            out["t0"].append(beat.start)
            out["dur"].append(beat.duration)
            out["band"].append(band)
            out["x0"].append(x0)
            out["x1"].append(x1)
            out["text"].append(beat.text)
            out["result"].append(beat.result)
            out["count"].append(beat.count)
            # NaN does not survive JSON; -1 means "no deadline" (simulated time is >= 0).
            out["until"].append(-1.0 if beat.until is None or math.isnan(beat.until)
                                else beat.until)
            out["clock0"].append(clock0)
