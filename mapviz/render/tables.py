"""A view as the column tables the browser player reads: numbers, not Bokeh models.

The columns are declared in :mod:`mapviz.render.schema`.  Every frame's glyphs
go into one *store* table, already resolved for the theme (hatch groups,
outline colour); a frame is a list of *segments* of it -- one per lane's
glyphs, one per kind and file of connectors -- and a segment that another
frame already sent is pointed at, not repeated.  Sealing one file, a refused
command, a step that touches one lane: only what changed is sent again.
The *story* table has one row per frame: its segments and what the step
says.  The *beats* table has one row per place of an animation beat.  The
player slices these into the small sources it draws, so the big tables are
sent once and never redrawn.

Hover texts are worded by the player from a glyph's columns (``js/tips.js``);
only glyphs whose words cannot be derived (an arrow's refusal, a lane) carry
their own ``tip``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mapviz.render.hatching import group_of
from mapviz.render.schema import as_arrays, empty_columns, names
from mapviz.render.sources import cited_sections
from mapviz.render.theme import PROTECTION_STYLE, SHARED_HATCH, Theme
from mapviz.render.timeline import step_beats
from mapviz.view.frames import BADGE_FIELDS, PROTECTIONS, RANGE_COLUMNS, STATES, Frame
from mapviz.view.storyboard import View

MIN_WIDTH = 2.0  # x units (of 1000): about a pixel and a half on a laptop screen
SPOKEN_STATES = frozenset({"track", "asked"})  # glyphs whose hover words Python writes
SPOKEN_LINKS = frozenset({"arrow"})
LINK_KINDS = ("extent", "vma", "entry", "arrow", "cache")
LINK_COLOURS = {"vma": "muted", "cache": "green", "entry": "orange", "arrow": "vermillion"}


@dataclass(slots=True)
class Tables:
    """Column dicts for the player's sources (see the module docstring and schema.py)."""

    quads: dict[str, Any]
    links: dict[str, Any]
    points: dict[str, Any]
    badges: dict[str, Any]
    story: dict[str, Any]
    beats: dict[str, Any]
    bands: dict[str, Any]
    files: dict[str, Any]
    sections: dict[str, Any] = field(default_factory=dict)
    """The docs/ sections the story and the beats cite, for the ``§`` links (sources.py)."""
    states: list[str] = field(default_factory=list)
    """States that appear anywhere in the view, for the legend (STATES order)."""
    shared: bool = False
    protections: list[str] = field(default_factory=list)
    """What protects a block map somewhere in the view (PROTECTIONS order), for the legend."""


class _Store:
    """A store's rows, cut into segments; an identical segment is stored once."""

    def __init__(self, store: str) -> None:
        self.columns = empty_columns(store)
        self.seen: dict[tuple[Any, ...], tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def segment(self, key: tuple[Any, ...], rows: Iterator[dict[str, Any]]) -> tuple[int, int]:
        """Where the segment fingerprinted ``key`` is: stored now (from ``rows``) or before."""
        known = self.seen.get(key)
        if known is not None:
            return known
        start = len(self)
        for row in rows:
            for name, column in self.columns.items():
                column.append(row[name])
        self.seen[key] = (start, len(self))
        return self.seen[key]


class _Palette:
    """Colours by index into the theme's inks: a row carries a byte, not ``#RRGGBB``."""

    def __init__(self, theme: Theme) -> None:
        self._index = {colour: i for i, colour in enumerate(theme.inks())}

    def __call__(self, colour: str) -> int:
        return self._index[colour]


def build_tables(view: View, theme: Theme, *, arrays: bool = True) -> Tables:
    """All tables for ``view`` drawn in ``theme``.

    Parameters
    ----------
    view
        The frames, from ``Storyboard.view()``.
    theme
        Resolves what the tables carry precomputed (hatch groups, outlines, colours).
    arrays
        Numeric columns as numpy arrays (a Bokeh page sends them compactly); False keeps
        every column a plain list, for JSON and for Python without numpy (the playground).

    Returns
    -------
    Tables
        Column dicts: numeric columns as numpy arrays (or lists), text as lists.
    """
    quads, links = _Store("store_q"), _Store("store_l")
    points: dict[str, list[float]] = {"x": [], "y": []}
    palette = _Palette(theme)
    badges: dict[str, list[Any]] = {name: [] for name in names("store_g")}
    story: dict[str, list[Any]] = {name: [] for name in names("story")}
    beats: dict[str, list[Any]] = {name: [] for name in names("beats")}
    used_states: set[int] = set()
    any_shared = False
    protections: set[int] = set()
    note = ""
    clock = 0.0
    for frame in view.frames:
        qsegs: list[int] = []
        for key, rows in _quad_segments(frame, theme, palette):
            qsegs.extend(quads.segment(key, rows))
        lsegs: list[int] = []
        for key, rows in _link_segments(frame, theme, palette, points):
            lsegs.extend(links.segment(key, rows))
        used_states.update(frame.quads["state"])
        any_shared = any_shared or any(frame.quads["shared"])
        protections.update(frame.quads["pinned"])
        glo = len(badges["band"])
        for badge in frame.badges:
            for name in BADGE_FIELDS:
                badges[name].append(getattr(badge, name))
            badges["colour"].append(
                theme.ink_on(theme.state_colour(badge.on)) if badge.on else theme.foreground
            )
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
        story["qsegs"].append(qsegs)
        story["lsegs"].append(lsegs)
        story["glo"].append(glo)
        story["ghi"].append(len(badges["band"]))
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
    bands: dict[str, list[Any]] = {name: [] for name in names("bands")}
    for each in view.layout.bands:
        for name in bands:
            bands[name].append(getattr(each, name))

    def pack(store: str, columns: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
        if arrays:
            return as_arrays(store, columns)
        return {name: list(values) for name, values in columns.items()}

    return Tables(
        quads=pack("store_q", quads.columns),
        links=pack("store_l", links.columns),
        points=pack("store_p", points),
        badges=pack("store_g", badges),
        story=story,
        beats=beats,
        bands=bands,
        files={"name": list(view.layout.file_ids)},
        sections=cited_sections([*story["why"], *story["note"], *beats["text"]]),
        states=[STATES[code] for code in sorted(used_states)],
        shared=any_shared,
        protections=[PROTECTIONS[code] for code in sorted(protections) if code],
    )


def frame_rows(tables: Tables, frame: int, store: str = "store_q") -> list[int]:
    """The store rows frame ``frame`` shows, in drawing order (what the player gathers)."""
    segments = tables.story["qsegs" if store == "store_q" else "lsegs"][frame]
    return [
        row for lo, hi in zip(segments[::2], segments[1::2], strict=True) for row in range(lo, hi)
    ]


def _quad_segments(
    frame: Frame, theme: Theme, palette: _Palette
) -> Iterator[tuple[tuple[Any, ...], Iterator[dict[str, Any]]]]:
    """A frame's glyphs, lane by lane: ``(fingerprint, rows)``.

    A lane's covers (what protects it) are a segment of their own: sealing a
    file adds its cover and sends nothing of the lane again.
    """
    q = frame.quads
    count = len(q["x0"])
    cover = STATES.index("cover")

    def part(i: int) -> tuple[int, bool]:
        return q["band"][i], q["state"][i] == cover

    start = 0
    while start < count:
        end = start
        while end < count and part(end) == part(start):
            end += 1
        key = ("q", *(tuple(map(_hashable, q[name][start:end])) for name in q))
        yield key, _quad_rows(q, start, end, theme, palette)
        start = end


def _quad_rows(
    q: dict[str, list[Any]], start: int, end: int, theme: Theme, palette: _Palette
) -> Iterator[dict[str, Any]]:
    for i in range(start, end):
        state = STATES[q["state"][i]]
        protection = PROTECTIONS[q["pinned"][i]]
        shared = bool(q["shared"][i])
        row = {
            name: q[name][i]
            for name in ("x0", "y0", "y1", "state", "band", "shared", "pinned", *RANGE_COLUMNS)
        }
        # A page of a large file is a fraction of a pixel: draw it at least MIN_WIDTH wide.
        row["x1"] = max(q["x1"][i], q["x0"][i] + MIN_WIDTH)
        # Hatches by group (see hatching.py).  A protection is a cover over the lane and
        # over its blocks (frames.py): the cover takes the protection's hatch; a shared
        # extent gets the shared hatch as its mark.
        hatch = PROTECTION_STYLE[protection][1] if protection else ""
        row["hg"] = group_of(theme, "state", state)
        mark = hatch or (SHARED_HATCH if shared else None)
        row["mg"] = (
            group_of(theme, "mark", "written" if state == "cover" else state, mark) if mark else -1
        )
        # A protected glyph gets a heavy outline in its protection's colour; a lane's empty
        # track a hairline in the grid colour; others one in the background colour, so
        # neighbouring extents of one state stay tellable apart.
        if protection:
            edge, width = theme.protection_colour(protection), theme.line_width * 3
        elif state in ("track", "asked"):
            edge, width = (theme.grid if state == "track" else theme.foreground), theme.line_width
        elif q["x1"][i] - q["x0"][i] < 3 * MIN_WIDTH:
            # Slivers of a big file: a background hairline on each would paint the lane
            # white; they take their own colour, and the lane reads as what it holds.
            edge, width = theme.state_colour(state), theme.line_width
        else:
            edge, width = theme.background, theme.line_width
        row["ei"] = palette(edge)
        row["ew"] = width
        row["fa"] = 0.0 if state == "cover" else 1.0
        row["tip"] = q["tip"][i] if state in SPOKEN_STATES else ""
        yield row


def _link_segments(
    frame: Frame, theme: Theme, palette: _Palette, points: dict[str, list[float]]
) -> Iterator[tuple[tuple[Any, ...], Iterator[dict[str, Any]]]]:
    """A frame's connectors by kind and file: ``(fingerprint, rows)``."""
    links = frame.links
    groups: dict[tuple[str, int], list[int]] = {}
    for i in range(len(links["xs"])):
        groups.setdefault((links["kind"][i], links["file"][i]), []).append(i)
    for (kind, file), rows in groups.items():
        key = ("l", kind, file, *(tuple(_hashable(links[name][i]) for i in rows) for name in links))
        yield key, _link_rows(links, rows, theme, palette, points)


def _link_rows(
    links: dict[str, list[Any]],
    rows: list[int],
    theme: Theme,
    palette: _Palette,
    points: dict[str, list[float]],
) -> Iterator[dict[str, Any]]:
    for i in rows:
        kind = links["kind"][i]
        if kind == "extent":
            colour = theme.state_colour(STATES[links["state"][i]])
        else:
            colour = theme.colour(LINK_COLOURS.get(kind, "muted"))
        # A mapping's tie is context, not news: faint.  Page-table entries are drawn
        # mostly as edges: two translucent fills over each other turn to mud.
        fill_alpha, line_alpha = {
            "vma": (theme.link_alpha * 0.5, theme.link_alpha),
            "entry": (theme.link_alpha * 0.35, min(1.0, theme.link_alpha * 3.5)),
            "arrow": (0.9, 1.0),
        }.get(kind, (theme.link_alpha, min(1.0, theme.link_alpha * 2.2)))
        row = {name: links[name][i] for name in RANGE_COLUMNS}
        row.update(
            p0=len(points["x"]),
            pn=len(links["xs"][i]),
            kind=LINK_KINDS.index(kind),
            ci=palette(colour),
            fa=fill_alpha,
            la=line_alpha,
            tip=links["tip"][i] if kind in SPOKEN_LINKS else "",
        )
        points["x"].extend(links["xs"][i])
        points["y"].extend(links["ys"][i])
        yield row


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


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
            out["until"].append(
                -1.0 if beat.until is None or math.isnan(beat.until) else beat.until
            )
            out["clock0"].append(clock0)
