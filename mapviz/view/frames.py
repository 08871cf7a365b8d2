"""Frames: each step's picture laid out on screen, as plain column dicts.

A frame draws one :class:`~mapviz.view.picture.Picture` and nothing else.
Layout, top to bottom: the processes that act (``actor`` lanes); one group
per file -- its mappings, its block map, its page cache -- all on **one**
file-offset axis, so a page, its block and its cached copy stand in one
column; then the *connector band*, where each extent runs from its file
offsets (the band's top edge is the file-offset axis) to its blocks on the
device (the bottom edge is the device axis), crossing no lane; then the
**device**, the only lane with an axis of its own.

A glyph is a quad in one band; links are polygons (the extent connectors,
vertical ties from a page to the file and to its cached copy, an arrow from
a refused process to the range it tried).  Every glyph and link carries the
file, device and frame ranges it stands for, so a view can light up its
counterparts in the other lanes.

Each frame also holds the step's events as an ordered list of *animations*:
a band, an x range and a kind (fault, seal, refuse, sigbus ...), for a player
to play in order.  Refusals play on the picture's alerts: exactly the range
the command asked for.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple, overload

from mapviz.core.events import Event, EventKind
from mapviz.core.memory import PAGE_SIZE
from mapviz.core.scene import MAX_EXTENTS
from mapviz.core.trace import Step
from mapviz.scenario.numbers import human_bytes
from mapviz.view.axes import WIDTH, CompressedAxis, LinearAxis, compressed_axis
from mapviz.view.picture import Alert, Lane, Link, Mark, Picture, Progress

STATES = (
    "hole",
    "unwritten",
    "written",
    "delalloc",
    "metadata",
    "free",
    "dirty",
    "cached",
    "anon",
    "zero",
    "mapping",
    "entry",
    "entry-w",
    "revoked",
    "swap",
    "past-eof",
    "track",
    "asked",
    "ghost",
    "actor",
    "cover",
    "owner-0",
    "owner-1",
    "owner-2",
    "owner-3",
    "owner-4",
    "owner-5",
)
"""State codes, in order: a glyph's ``state`` column is an index into this."""
STATE = {name: code for code, name in enumerate(STATES)}
OWNER_TINTS = 6
"""Files are told apart on the device by a tint (``owner-N``), cycling after this many."""

PROTECTIONS = ("", "pinned", "leased", "swapfile", "immutable", "direct")
"""A glyph's ``pinned`` column: what protects the block map it shows (0: nothing).

``pinned`` is a v5 seal, ``leased`` a MAP_DIRECT lease, ``swapfile`` an active
swapfile, ``immutable`` chattr +i; ``direct`` marks a MAP_DIRECT mapping itself.
A file's protection is drawn once, as a ``cover`` glyph over its whole lane
(the seal is the inode's: holes included) and over its blocks on the device,
so sealing a file of 10,000 extents changes two glyphs, not 10,000.
"""
PROTECTION = {name: code for code, name in enumerate(PROTECTIONS)}

PICTURE_STATE = {"mapped": "mapping", "pte-ro": "entry", "pte-rw": "entry-w"}
"""The picture's virtual-lane states, by the glyph state that draws them."""

HEIGHTS = {"actor": 0.5, "virtual": 0.7, "file": 1.0, "cache": 0.6, "device": 1.0}
IN_GROUP_GAP = 0.3
GROUP_GAP = 0.8
CONNECTOR_BAND = 2.0
RANGE_COLUMNS = ("file", "f0", "f1", "d0", "d1", "c0", "c1")
"""What a glyph stands for: its file (or -1) and the file, device and page-cache ranges."""
COLUMNS = ("x0", "x1", "y0", "y1", "state", "shared", "pinned", "band", "tip", *RANGE_COLUMNS)
LINK_COLUMNS = ("xs", "ys", "kind", "state", "tip", *RANGE_COLUMNS)


@dataclass(frozen=True, slots=True)
class Band:
    """One horizontal band: a lane of the picture, or the connector band (``connector``)."""

    index: int
    layer: str
    key: str  # the picture's lane id ("file:data", "map:1", "device" ...)
    label: str
    y0: float
    y1: float


class Animation(NamedTuple):
    """One event to play: in ``band``, over ``[x0, x1)``, ``order``-th in the step.

    A named tuple, not a frozen dataclass: sealing a million-extent file is a
    step of a million events, and a tuple is made three times faster.
    """

    order: int
    kind: str
    band: int
    x0: float
    x1: float
    text: str
    result: str = ""
    until: float | None = None  # a lease break's deadline (simulated seconds), for a countdown


BADGE_FIELDS = ("band", "text", "x", "y", "align", "kind", "room")


OWNER_MIN_X_PER_CHAR, OWNER_PAD_X = 2.5, 3.0
"""Owner names not offered to the renderers at all: narrower than the smallest theme's
type could be on the widest plot (12 px bold on 2,560 px, about 2.6 px an x unit)."""


class Badge(NamedTuple):
    """Words drawn in the plot: a lane's name, what protects it, an owner on its blocks."""

    band: int
    text: str
    x: float
    y: float
    align: str  # left, center, right
    kind: str  # label, flag, owner
    on: str = ""  # the state drawn under the words (their ink must read on it)
    # The width the words must fit in (x units; 0: no limit).  Only a renderer knows
    # its font and how many pixels an x unit is, so it drops words that don't fit.
    room: float = 0.0


@dataclass(frozen=True, slots=True)
class Frame:
    """The picture after step ``index`` (frame 0: before the first step)."""

    index: int
    step: Step | None
    quads: dict[str, list[Any]]
    links: dict[str, list[Any]]
    animations: tuple[Animation, ...]
    clock: float
    badges: tuple[Badge, ...] = ()
    picture: Picture | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """Bands and axes shared by every frame of a trace."""

    bands: tuple[Band, ...]
    file_axis: LinearAxis
    device_axis: CompressedAxis
    file_ids: dict[str, int] = field(default_factory=dict)
    _by_key: dict[str, Band] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {band.key: band for band in self.bands})

    def band(self, layer: str, key: str) -> Band | None:
        """The band of lane ``key`` (``layer`` says which kind is wanted)."""
        band = self._by_key.get(key)
        return band if band is not None and band.layer == layer else None

    def lane(self, key: str) -> Band | None:
        return self._by_key.get(key)

    @property
    def height(self) -> float:
        return -min(b.y0 for b in self.bands) if self.bands else 1.0


def plan_layout(pictures: Sequence[Picture]) -> Layout:
    """Bands and axes for a whole trace (they stay put while lanes come and go)."""
    actors: list[Lane] = []
    groups: dict[str, list[Lane]] = {}  # file name -> its lanes, first seen first
    anonymous: list[Lane] = []
    seen: set[str] = set()
    file_span = PAGE_SIZE
    used_device: list[tuple[int, int]] = []
    connectors = False
    for picture in pictures:
        for lane in picture.lanes:
            if lane.id in seen:
                continue
            seen.add(lane.id)
            if lane.layer == "actor":
                actors.append(lane)
            elif lane.layer == "device":
                pass
            elif lane.layer == "virtual" and lane.file is None:
                anonymous.append(lane)
            else:
                file = lane.file if lane.layer == "virtual" else lane.owner
                groups.setdefault(file or "", []).append(lane)
        for mark in picture.marks:
            if mark.lane != "device":
                file_span = max(file_span, mark.end)
            elif mark.owners:
                used_device.append((mark.start, mark.end))
        for alert in picture.alerts:
            if alert.lane == "device":
                used_device.append((alert.start, alert.end))
            elif alert.lane.startswith(("file:", "map:")):
                file_span = max(file_span, alert.end)
        for link in picture.links:
            if link.target[0] == "device":
                connectors = True
                used_device.append((link.target[1], link.target[2]))
    bands: list[Band] = []
    y = 0.0

    def add(layer: str, key: str, label: str, height: float) -> None:
        nonlocal y
        bands.append(Band(len(bands), layer, key, label, y - height, y))
        y -= height

    for lane in actors:
        add("actor", lane.id, lane.label, HEIGHTS["actor"])
        y -= IN_GROUP_GAP
    for lanes in groups.values():
        y -= GROUP_GAP - IN_GROUP_GAP
        order = {"virtual": 0, "file": 1, "cache": 2}
        for lane in sorted(lanes, key=lambda lane: order[lane.layer]):
            add(lane.layer, lane.id, lane.label, HEIGHTS[lane.layer])
            y -= IN_GROUP_GAP
    for lane in anonymous:
        add("virtual", lane.id, lane.label, HEIGHTS["virtual"])
        y -= IN_GROUP_GAP
    y -= GROUP_GAP - IN_GROUP_GAP
    if connectors:
        add("connector", "connector", "", CONNECTOR_BAND)
    add("device", "device", "device", HEIGHTS["device"])
    first = pictures[0]
    blocksize, device_size = first.blocksize, max(p.device_size for p in pictures)
    quantum = max(blocksize * 4, file_span // 256 // blocksize * blocksize)
    return Layout(
        bands=tuple(bands),
        file_axis=LinearAxis(file_span),
        device_axis=compressed_axis(used_device, device_size, quantum),
        file_ids={name: i for i, name in enumerate(groups)},
    )


class _Columns:
    """Column-dict builder for quads or links."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.data: dict[str, list[Any]] = {name: [] for name in names}

    def add(self, **values: Any) -> None:
        for name, column in self.data.items():
            column.append(values.get(name, _DEFAULTS.get(name, 0)))

    def __len__(self) -> int:
        return len(next(iter(self.data.values())))

    def rows_from(self, first: int) -> tuple[tuple[Any, ...], ...]:
        """The rows added since there were ``first``, as tuples in column order."""
        return tuple(zip(*(column[first:] for column in self.data.values()), strict=True))

    def add_rows(self, rows: tuple[tuple[Any, ...], ...]) -> None:
        for row in rows:
            for column, value in zip(self.data.values(), row, strict=True):
                column.append(value)


_DEFAULTS: dict[str, Any] = {
    "tip": "",
    "file": -1,
    "f0": -1,
    "f1": -1,
    "d0": -1,
    "d1": -1,
    "c0": -1,
    "c1": -1,
    "shared": 0,
    "pinned": 0,
    "kind": "",
}


DrawnMemo = dict[
    tuple[Any, ...],
    tuple[tuple[tuple[Any, ...], ...], tuple[tuple[Any, ...], ...], tuple["Badge", ...]],
]
"""What a mark or link drew (quad rows, link rows, badges), by what it was drawn from.

A long scenario's frames are mostly the marks of the frame before; the
views of one layout share a memo so each distinct mark is drawn once.
"""


class Frames(Sequence["Frame"]):
    """Every picture's frame, drawn when it is asked for.

    A long scenario's frames would not fit in memory all at once (10,000
    steps of a few hundred glyphs each); renderers read them in turn.  Each
    distinct mark and link is drawn once (a shared memo), and the last frame
    read is kept, so reading one frame twice in a row costs nothing.
    """

    def __init__(
        self, layout: Layout, pictures: Sequence[Picture], progress: Progress | None = None
    ) -> None:
        self._layout = layout
        self._pictures = tuple(pictures)
        self._memo: DrawnMemo = {}
        self._last: tuple[int, Frame] | None = None
        self._progress = progress

    def __len__(self) -> int:
        return len(self._pictures)

    @overload
    def __getitem__(self, index: int) -> Frame: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Frame, ...]: ...

    def __getitem__(self, index: int | slice) -> Frame | tuple[Frame, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        before = self._pictures[index - 1] if index else None
        frame = build_frame(self._layout, self._pictures[index], before, self._memo)
        self._last = (index, frame)
        if self._progress is not None:
            self._progress("drawing", index + 1, len(self))
        return frame

    def __iter__(self) -> Iterator[Frame]:
        for index in range(len(self)):
            yield self[index]


def build_frame(
    layout: Layout,
    picture: Picture,
    before: Picture | None = None,
    memo: DrawnMemo | None = None,
) -> Frame:
    """The frame drawing ``picture`` (``before``: the previous step's, for what just went).

    ``memo`` carries drawn marks and links from frame to frame of ``layout``.
    """
    drawer = _Drawer(layout, picture, memo if memo is not None else {})
    drawer.draw()
    step = picture.source
    animations = tuple(_animations(layout, picture, before)) if step else ()
    # Lane by lane (a renderer sends a lane that did not change only once), keeping the
    # drawing order inside each lane: its track, its marks, then what covers them.
    quads = drawer.quads.data
    order = sorted(range(len(quads["band"])), key=quads["band"].__getitem__)
    quads = {name: [column[i] for i in order] for name, column in quads.items()}
    return Frame(
        picture.step,
        step,
        quads,
        drawer.links.data,
        animations,
        step.clock if step else 0.0,
        badges=tuple(drawer.badges),
        picture=picture,
    )


class _Drawer:
    """Turns one picture into quads, links and badges."""

    def __init__(self, layout: Layout, picture: Picture, memo: DrawnMemo) -> None:
        self.layout = layout
        self.picture = picture
        self.memo = memo
        self.quads = _Columns(COLUMNS)
        self.links = _Columns(LINK_COLUMNS)
        self.badges: list[Badge] = []
        self.lanes = {lane.id: lane for lane in picture.lanes}
        self.sizes = {lane.owner: 0 for lane in picture.lanes if lane.layer == "file"}
        # Each file lane's extent connectors by file offset, to find a mark's blocks.
        by_lane: dict[str, list[Link]] = {}
        for link in picture.links:
            if link.kind == "extent":
                by_lane.setdefault(link.source[0], []).append(link)
        self._extents = {
            lane: (tuple(link.source[1] for link in links), tuple(links))
            for lane, links in (
                (k, sorted(v, key=lambda link: link.source[1])) for k, v in by_lane.items()
            )
        }
        for mark in picture.marks:
            if mark.lane.startswith("file:") and mark.state != "past-eof":
                self.sizes[mark.lane[5:]] = max(self.sizes.get(mark.lane[5:], 0), mark.end)

    def draw(self) -> None:
        for lane in self.picture.lanes:
            band = self.layout.lane(lane.id)
            if band is None:
                continue
            self.quads.add(
                x0=0.0,
                x1=WIDTH,
                y0=band.y0,
                y1=band.y1,
                state=STATE["track"],
                band=band.index,
                tip=_lane_tip(lane),
            )
            self.badges.append(
                Badge(
                    band.index, _lane_label(lane), -8.0, (band.y0 + band.y1) / 2, "right", "label"
                )
            )
        for mark in self.picture.marks:
            physical = self._physical(mark) if mark.lane.startswith("file:") else None
            key = ("mark", mark, self.lanes.get(mark.lane), physical)
            self._drawn(key, partial(self._mark, mark))
        self._owner_strips()
        self._covers()
        for link in self.picture.links:
            self._drawn(("link", link, self.lanes.get(link.source[0])), partial(self._link, link))
        for alert in self.picture.alerts:
            self._alert(alert)
        self._flags()

    def _drawn(self, key: tuple[Any, ...], draw: Callable[[], None]) -> None:
        """Draw with ``draw()``, or add what it drew last time from the same ``key``.

        The key holds everything the drawing reads besides the layout, which
        the memo's frames share.
        """
        drawn = self.memo.get(key)
        if drawn is None:
            quads, links, badges = len(self.quads), len(self.links), len(self.badges)
            draw()
            self.memo[key] = (
                self.quads.rows_from(quads),
                self.links.rows_from(links),
                tuple(self.badges[badges:]),
            )
            return
        self.quads.add_rows(drawn[0])
        self.links.add_rows(drawn[1])
        self.badges.extend(drawn[2])

    # --- marks ---------------------------------------------------------------------------

    def _mark(self, mark: Mark) -> None:
        band = self.layout.lane(mark.lane)
        if band is None:
            return
        if band.layer == "device":
            self._device_mark(band, mark)
            return
        fa = self.layout.file_axis
        lane = self.lanes[mark.lane]
        file = lane.owner if band.layer in ("file", "cache") else lane.file
        fid = self.layout.file_ids.get(file or "", -1)
        # A file's protection is its lane's cover (_covers), not each mark's.
        protect = _protection(mark.flags, band.layer) if band.layer == "virtual" else 0
        common: dict[str, Any] = dict(
            band=band.index, file=fid, shared=int("shared" in mark.flags), pinned=protect
        )
        if fid >= 0:
            common.update(f0=mark.start, f1=mark.end)
        state = PICTURE_STATE.get(mark.state, mark.state)
        y0, y1 = band.y0, band.y1
        if band.layer == "virtual":
            if lane.ghost:
                state = "ghost"
            if mark.target == "cache" and mark.number is not None:
                common.update(c0=mark.number, c1=mark.number + (mark.end - mark.start) // PAGE_SIZE)
            if mark.target == "device" and mark.number is not None:
                bs = self.picture.blocksize
                common.update(d0=mark.number * bs, d1=mark.number * bs + mark.end - mark.start)
        if band.layer == "cache" and mark.frame is not None:
            frames = -(-(mark.end - mark.start) // PAGE_SIZE)
            common.update(c0=mark.frame, c1=mark.frame + frames)
        if band.layer == "file" and mark.state not in ("hole", "past-eof"):
            physical = self._physical(mark)
            if physical is not None:
                common.update(d0=physical, d1=physical + mark.end - mark.start)
        self.quads.add(
            x0=fa.x(mark.start),
            x1=fa.x(mark.end),
            y0=y0,
            y1=y1,
            state=STATE[state],
            tip=_mark_tip(lane, mark),
            **common,
        )

    def _physical(self, mark: Mark) -> int | None:
        """The device byte under a file mark's first byte (from its extent's connector)."""
        starts, links = self._extents.get(mark.lane, ((), ()))
        index = bisect_right(starts, mark.start) - 1
        if index >= 0 and mark.start < links[index].source[2]:
            return links[index].target[1] + mark.start - links[index].source[1]
        return None

    def _device_mark(self, band: Band, mark: Mark) -> None:
        if mark.state == "free":
            return  # the track is the free space
        da = self.layout.device_axis
        x0, x1 = da.x(mark.start), da.x(mark.end)
        if mark.state == "metadata" and x1 - x0 < 0.05:
            return  # squeezed away with an unused stretch of the device
        owners = " and ".join(mark.owners)
        tip = f"device {_range(mark.start, mark.end)}: {mark.state}" + (
            f", blocks of {owners}" if owners else ""
        )
        if mark.state == "metadata":
            tip = (
                f"filesystem metadata (log, headers, inode tables) "
                f"{_range(mark.start, mark.end)} of the device"
            )
        fid = self.layout.file_ids.get(mark.owners[0], -1) if mark.owners else -1
        self.quads.add(
            x0=x0,
            x1=x1,
            y0=band.y0,
            y1=band.y1,
            state=STATE[mark.state],
            band=band.index,
            tip=tip,
            d0=mark.start,
            d1=mark.end,
            shared=int(len(mark.owners) > 1),
            file=fid,
        )
        name = "+".join(mark.owners)
        if name and x1 - x0 > OWNER_MIN_X_PER_CHAR * len(name) + OWNER_PAD_X:
            self.badges.append(
                Badge(
                    band.index,
                    name,
                    (x0 + x1) / 2,
                    band.y0 + (band.y1 - band.y0) * 0.36,
                    "center",
                    "owner",
                    mark.state,
                    x1 - x0,
                )
            )

    def _covers(self) -> None:
        """What protects each file's block map: one glyph over its lane, one per run of blocks."""
        fa, da = self.layout.file_axis, self.layout.device_axis
        protected: dict[str, int] = {}
        for lane in self.picture.lanes:
            band = self.layout.lane(lane.id)
            marks = self.picture.marks_of(lane.id)
            if lane.layer != "file" or band is None or not marks:
                continue
            code = _protection(marks[0].flags, "file")
            if not code:
                continue
            protected[lane.owner or ""] = code
            end = max(mark.end for mark in marks)
            self.quads.add(
                x0=0.0,
                x1=fa.x(end),
                y0=band.y0,
                y1=band.y1,
                state=STATE["cover"],
                band=band.index,
                pinned=code,
                file=self.layout.file_ids.get(lane.owner or "", -1),
                f0=0,
                f1=end,
            )
        device = self.layout.lane("device")
        if device is None or not protected:
            return
        for start, end, owners in self._owner_runs():
            code = next((protected[o] for o in owners if o in protected), 0)
            if code:
                self.quads.add(
                    x0=da.x(start),
                    x1=da.x(end),
                    y0=device.y0,
                    y1=device.y1,
                    state=STATE["cover"],
                    band=device.index,
                    pinned=code,
                    d0=start,
                    d1=end,
                )

    def _owner_runs(self) -> list[tuple[int, int, tuple[str, ...]]]:
        """Runs of device blocks with the same owners, whatever their state."""
        runs: list[tuple[int, int, tuple[str, ...]]] = []
        for mark in self.picture.marks_of("device"):
            if not mark.owners:
                continue
            if runs and runs[-1][1] == mark.start and runs[-1][2] == mark.owners:
                runs[-1] = (runs[-1][0], mark.end, mark.owners)
            else:
                runs.append((mark.start, mark.end, mark.owners))
        return runs

    def _owner_strips(self) -> None:
        """Each file's tint in a strip along the top of the device blocks it owns.

        One strip per run of blocks with the same owners, whatever their state:
        a file of 10,000 extents laid end to end is one strip, not 10,000.
        """
        band = self.layout.lane("device")
        if band is None:
            return
        runs = self._owner_runs()
        da = self.layout.device_axis
        height = (band.y1 - band.y0) * 0.28
        for start, end, owners in runs:
            share = height / len(owners)
            tip = f"device {_range(start, end)}: blocks of {' and '.join(owners)}"
            for rank, owner in enumerate(owners):
                fid = self.layout.file_ids.get(owner, 0)
                top = band.y1 - rank * share
                self.quads.add(
                    x0=da.x(start),
                    x1=da.x(end),
                    y0=top - share,
                    y1=top,
                    state=STATE[f"owner-{fid % OWNER_TINTS}"],
                    band=band.index,
                    tip=tip,
                    d0=start,
                    d1=end,
                    file=fid,
                )

    # --- links ---------------------------------------------------------------------------

    def _link(self, link: Link) -> None:
        source = self.layout.lane(link.source[0])
        target = self.layout.lane(link.target[0])
        if source is None or target is None:
            return
        fa, da = self.layout.file_axis, self.layout.device_axis
        lane = self.lanes[link.source[0]]
        file = lane.owner if source.layer == "file" else lane.file
        fid = self.layout.file_ids.get(file or "", -1)
        a, b = link.source[1], link.source[2]
        c, d = link.target[1], link.target[2]
        common: dict[str, Any] = dict(file=fid, f0=a, f1=b)
        if target.layer == "device":
            band = self.layout.lane("connector")
            if band is None:
                return
            tint = fid % OWNER_TINTS if fid >= 0 else 0
            state = f"owner-{tint}" if link.kind == "extent" else "entry"
            common.update(d0=c, d1=d)
            tip = (
                f"{file} {_range(a, b)} -> device {_range(c, d)}"
                if link.kind == "extent"
                else f"{lane.label}: page-table entries {_range(a, b)} -> device "
                f"{_range(c, d)} (DAX)"
            )
            self.links.add(
                xs=[fa.x(a), fa.x(b), da.x(d), da.x(c)],
                ys=[band.y1, band.y1, band.y0, band.y0],
                kind="extent" if link.kind == "extent" else "entry",
                state=STATE[state],
                tip=tip,
                **common,
            )
            return
        if link.kind in ("map", "pte"):
            # A vertical tie in the page's own column: from the lane down to the next one.
            x0, x1 = fa.x(a), fa.x(b)
            kind = "vma" if link.kind == "map" else "entry"
            self.links.add(
                xs=[x0, x1, x1, x0],
                ys=[source.y0, source.y0, target.y1, target.y1],
                kind=kind,
                state=STATE["mapping" if kind == "vma" else "entry"],
                tip=f"{lane.label} maps {file} {_range(a, b)}",
                **common,
            )

    # --- alerts --------------------------------------------------------------------------

    def _alert(self, alert: Alert) -> None:
        band = self.layout.lane(alert.lane)
        if band is None or band.layer not in ("file", "virtual"):
            return
        fa = self.layout.file_axis
        lane = self.lanes.get(alert.lane)
        if band.layer == "file" and lane is not None:
            size = self.sizes.get(lane.owner, 0)
            if alert.end > size:
                # The ghost extension of the file: the asked range past EOF, outlined.
                start = max(size, alert.start)
                self.quads.add(
                    x0=fa.x(start),
                    x1=fa.x(alert.end),
                    y0=band.y0,
                    y1=band.y1,
                    state=STATE["asked"],
                    band=band.index,
                    tip=f"{lane.owner} {_range(start, alert.end)}: past EOF, "
                    f"asked for by {alert.by} ({alert.kind})",
                )
        actor = self.layout.lane(f"actor:{alert.by}")
        if actor is not None and alert.kind not in ("revoke",):
            # An arrow from the process down to the range it tried.
            x0, x1 = fa.x(alert.start), fa.x(max(alert.end, alert.start))
            middle = (x0 + x1) / 2
            half = max(3.0, min(12.0, (x1 - x0) / 2))
            top, tip_y = actor.y0, band.y1
            self.links.add(
                xs=[
                    middle - 1.2,
                    middle + 1.2,
                    middle + 1.2,
                    middle + half,
                    middle,
                    middle - half,
                    middle - 1.2,
                ],
                ys=[top, top, tip_y + 0.35, tip_y + 0.35, tip_y, tip_y + 0.35, tip_y + 0.35],
                kind="arrow",
                state=STATE["revoked"],
                tip=f"{alert.by}: {alert.kind} -- {alert.why}",
            )

    def _flags(self) -> None:
        """Words beside a lane for what it is now: sealed, leased, a MAP_DIRECT mapping."""
        step = self.picture.source
        for lane in self.picture.lanes:
            band = self.layout.lane(lane.id)
            if band is None:
                continue
            words = []
            if lane.layer == "file":
                marks = self.picture.marks_of(lane.id)
                flags = {f for m in marks for f in m.flags}
                words = [
                    WORDS[f] for f in ("pinned", "leased", "swapfile", "immutable") if f in flags
                ]
                if any(m.binned for m in marks):
                    # Too many extents to draw each: say so, or a zoom would show bins as extents.
                    words.append(f"binned: {MAX_EXTENTS:,} cells, each its main state")
            elif lane.layer == "virtual":
                marks = self.picture.marks_of(lane.id)
                words = [lane.kind or "mapping"]
                if any(m.state == "revoked" for m in marks):
                    words.append("revoked")
                if lane.ghost:
                    words.append("unmapped")
            elif lane.layer == "actor" and step is not None and step.process == lane.owner:
                words = [f"{step.command} → {step.result}"]
            if words:
                # Inside the lane's right end (on a backing): between lanes there is no room
                # for a line of text on a projector.
                self.badges.append(
                    Badge(
                        band.index,
                        ", ".join(words),
                        WIDTH - 4,
                        (band.y0 + band.y1) / 2,
                        "right",
                        "flag",
                    )
                )


WORDS = {
    "pinned": "sealed (v5)",
    "leased": "leased",
    "swapfile": "swapfile",
    "immutable": "immutable",
}


def _protection(flags: Iterable[str], layer: str) -> int:
    for flag in ("pinned", "leased", "swapfile", "immutable"):
        if flag in flags:
            return PROTECTION[flag]
    if layer == "virtual" and "direct" in flags:
        return PROTECTION["direct"]
    return 0


def _lane_label(lane: Lane) -> str:
    if lane.layer == "virtual":
        return f"{lane.owner} {lane.address:#x}" if lane.address is not None else str(lane.owner)
    if lane.layer == "cache":
        return "page cache"
    if lane.layer == "actor":
        return f"{lane.owner} ▸"
    return lane.label


def _lane_tip(lane: Lane) -> str:
    if lane.layer == "virtual":
        start = lane.file_offset or 0
        what = (
            f"{lane.file} {_range(start, start + (lane.length or 0))}"
            if lane.file
            else f"{human_bytes(lane.length or 0)} of anonymous memory"
        )
        return f"{lane.owner}'s mapping at {lane.address:#x} of {what}" + (
            " (unmapped)" if lane.ghost else ""
        )
    if lane.layer == "cache":
        return f"the page cache of {lane.owner}: each cached page under its file page"
    if lane.layer == "actor":
        return f"process {lane.owner}"
    if lane.layer == "file":
        return f"the block map of {lane.owner}"
    return "the device's blocks"


def _mark_tip(lane: Lane, mark: Mark) -> str:
    span = _range(mark.start, mark.end)
    if lane.layer == "file":
        words = {"hole": "hole (no blocks; reads as zeros)", "past-eof": "allocated past EOF"}
        flags = ", ".join(WORDS.get(f, f) for f in mark.flags)
        return f"{lane.owner} {span}: {words.get(mark.state, mark.state)}" + (
            f" — {flags}" if flags else ""
        )
    if lane.layer == "cache":
        pages = -(-(mark.end - mark.start) // PAGE_SIZE)
        frames = (
            f"frame {mark.frame}"
            if pages == 1
            else f"frames {mark.frame}..{(mark.frame or 0) + pages - 1}"
        )
        what = "dirty (newer than the disk)" if mark.state == "dirty" else "clean"
        return f"{lane.owner} {span} in the page cache, {frames}: {what}"
    words = {
        "mapped": "mapped, no page-table entry yet",
        "pte-ro": "present entry, read-only",
        "pte-rw": "present entry, writable",
        "zero": "read-only entry to the shared zero page",
        "revoked": "revoked",
    }
    where = f" -> {mark.target} {mark.number}" if mark.target and mark.number is not None else ""
    return f"{lane.label} at file {span}: {words.get(mark.state, mark.state)}{where}"


# --- animations ------------------------------------------------------------------------------


def _animations(layout: Layout, picture: Picture, before: Picture | None) -> list[Animation]:
    step = picture.source
    assert step is not None
    out: list[Animation] = []
    places = _Places(layout, picture, before)
    alerted = {EventKind.REFUSE, EventKind.SIGBUS, EventKind.LEASE_BREAK, EventKind.REVOKE}
    # A revoke tears the whole mapping down: its entries' zapping is part of it, and a
    # second caption on the same lane would cover the REVOKED one.
    lanes = [layout.lane(alert.lane) for alert in picture.alerts if alert.kind == "revoke"]
    revoked = {lane.index for lane in lanes if lane is not None}
    for order, event in enumerate(step.events):
        if event.kind in alerted:
            continue  # played from the picture's alerts, on exactly the asked range
        for band, x0, x1 in places.of(event):
            if event.kind is EventKind.ZAP_PAGE and band in revoked:
                continue
            out.append(
                Animation(
                    order,
                    event.kind.value,
                    band,
                    x0,
                    x1,
                    event.why,
                    event.result or "",
                    event.until,
                )
            )
    order = len(step.events)
    for rank, event in enumerate(step.events):
        if event.kind in alerted:
            order = rank
            break
    for alert in picture.alerts:
        lane = layout.lane(alert.lane)
        if lane is None:
            continue
        x0, x1 = places.x(lane, alert.start, alert.end)
        kind = {
            "SIGBUS": "sigbus",
            "SIGSEGV": "sigsegv",
            "lease-break": "lease_break",
            "revoke": "revoke",
        }.get(alert.kind, "refuse")
        result = "" if kind in ("lease_break", "revoke") else alert.kind
        out.append(
            Animation(
                order + (1 if kind == "revoke" else 0),
                kind,
                lane.index,
                x0,
                x1,
                alert.why,
                result,
                alert.until,
            )
        )
    out.sort(key=lambda a: a.order)
    return out


MIN_PLACE = 2.0
"""Narrowest place an event shows at (x units), so a one-byte event is still seen."""


class _Places:
    """Where a step's events show: ``(band, x0, x1)`` in each lane an event touches."""

    def __init__(self, layout: Layout, picture: Picture, before: Picture | None) -> None:
        self.layout = layout
        device = layout.lane("device")
        assert device is not None
        self.device = device
        lanes = [*(before.lanes if before else ()), *picture.lanes]
        self.mappings = {lane.id: lane for lane in lanes if lane.layer == "virtual"}

    def x(self, band: Band, start: int, end: int) -> tuple[float, float]:
        axis = self.layout.device_axis if band.layer == "device" else self.layout.file_axis
        x0, x1 = axis.x(start), axis.x(max(end, start))
        return x0, max(x1, x0 + MIN_PLACE)

    def of(self, event: Event) -> list[tuple[int, float, float]]:
        layout = self.layout
        places = []
        cache_kinds = (EventKind.CACHE_FILL, EventKind.CACHE_DROP, EventKind.DIRTY)
        if event.file is not None:
            lane = (
                f"cache:{event.file.name}"
                if event.kind in cache_kinds
                else f"file:{event.file.name}"
            )
            band = layout.lane(lane) or layout.lane(f"file:{event.file.name}")
            if band is not None:
                end = event.file.end if event.file.end > event.file.start else event.file.start + 1
                places.append((band.index, *self.x(band, event.file.start, end)))
        if event.device is not None:
            places.append(
                (self.device.index, *self.x(self.device, event.device.start, event.device.end))
            )
        if event.virtual is not None:
            places.extend(self._virtual(event))
        return places

    def _virtual(self, event: Event) -> list[tuple[int, float, float]]:
        """The lane of the first mapping holding the range's start, over what it maps."""
        virtual = event.virtual
        assert virtual is not None
        for lane in self.mappings.values():
            if lane.owner != virtual.process or lane.address is None or lane.length is None:
                continue
            if not lane.address <= virtual.start < lane.address + max(lane.length, 1):
                continue
            band = self.layout.lane(lane.id)
            if band is None:
                continue
            base = lane.file_offset or 0
            start = base + virtual.start - lane.address
            end = base + min(virtual.end, lane.address + lane.length) - lane.address
            return [(band.index, *self.x(band, start, end))]
        return []


def _range(start: int, end: int) -> str:
    return f"[{_short(start)}, {_short(end)})"


def _short(n: int) -> str:
    return "0" if n == 0 else human_bytes(n) if n % 1024 == 0 else str(n)
