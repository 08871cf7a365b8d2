"""Frames: what every glyph looks like after each step, as plain column dicts.

Layout, top to bottom: the **virtual** layer (one band per mapping), the
**file** layer (one band per file), the **page cache** (one band of frames,
when DAX is off) and the **device**.  A glyph is a quad in one band; links
are ribbons between bands: a mapping to the file range it maps, an extent to
its device blocks, present page-table entries to the frames or blocks they
point at.  Every glyph and link carries the file, device and frame ranges it
stands for, so a view can light up its counterparts in the other layers.

Each frame also holds the step's events as an ordered list of *animations*:
a band, an x range and a kind (fault, seal, refuse, sigbus ...), for a player
to play in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mapviz.core.events import Event, VirtualRange
from mapviz.core.trace import Step
from mapviz.scenario.numbers import human_bytes
from mapviz.scenario.syntax import PAGE_SIZE
from mapviz.view.axes import WIDTH, CompressedAxis, LinearAxis, compressed_axis
from mapviz.view.scene import FileScene, MappingScene, Scene

STATES = (
    "hole", "unwritten", "written", "delalloc", "metadata", "free", "dirty", "cached",
    "anon", "zero", "mapping", "entry", "entry-w", "revoked", "swap", "past-eof",
)
"""State codes, in order: a glyph's ``state`` column is an index into this."""
STATE = {name: code for code, name in enumerate(STATES)}

BAND_HEIGHT = 1.0
BAND_GAP = 0.5
LAYER_GAP = 2.2
COLUMNS = ("x0", "x1", "y0", "y1", "state", "shared", "pinned", "band", "tip",
           "file", "f0", "f1", "d0", "d1", "c0", "c1")
LINK_COLUMNS = ("xs", "ys", "kind", "state", "tip", "file", "f0", "f1", "d0", "d1", "c0", "c1")


@dataclass(frozen=True, slots=True)
class Band:
    """One horizontal band: ``layer`` is ``virtual``, ``file``, ``cache`` or ``device``."""

    index: int
    layer: str
    key: str  # mapping id, file name, "cache", "device"
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


@dataclass(frozen=True, slots=True)
class Frame:
    """The picture after step ``index`` (frame 0: before the first step)."""

    index: int
    step: Step | None
    quads: dict[str, list[Any]]
    links: dict[str, list[Any]]
    animations: tuple[Animation, ...]
    clock: float
    badges: tuple[tuple[int, str], ...] = ()
    """``(band, words)``: what a band is right now (``sealed``, ``MAP_SHARED|MAP_DIRECT`` ...)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """Bands and axes shared by every frame of a trace."""

    bands: tuple[Band, ...]
    file_axis: LinearAxis
    device_axis: CompressedAxis
    cache_axis: LinearAxis
    file_ids: dict[str, int] = field(default_factory=dict)
    _by_key: dict[tuple[str, str], Band] = field(init=False, repr=False, compare=False)
    """``(layer, key) -> band``: every event of a step looks its band up, a million in a big one."""

    def __post_init__(self) -> None:
        by_key: dict[tuple[str, str], Band] = {}
        for band in self.bands:
            by_key.setdefault((band.layer, band.key), band)
        object.__setattr__(self, "_by_key", by_key)

    def band(self, layer: str, key: str) -> Band | None:
        return self._by_key.get((layer, key))

    @property
    def height(self) -> float:
        return -min(b.y0 for b in self.bands) if self.bands else 1.0


def plan_layout(scenes: list[Scene]) -> Layout:
    """Bands and axes for a whole trace (they stay put while the frames change)."""
    files: list[str] = []
    mappings: dict[int, MappingScene] = {}
    file_span = PAGE_SIZE
    used_device: list[tuple[int, int]] = []
    frames_used = 1
    cached = False
    for scene in scenes:
        for f in scene.files:
            if f.name not in files:
                files.append(f.name)
            file_span = max(file_span, f.size, *(e.end for e in f.extents))
            for e in f.extents:
                if e.physical is not None:
                    used_device.append((e.physical, e.physical + e.length))
            for run in f.cached:
                cached = True
                frames_used = max(frames_used, run.target + (run.end - run.start) // PAGE_SIZE)
        for m in scene.mappings:
            mappings.setdefault(m.id, m)
            file_span = max(file_span, m.file_offset + m.length)
            for run in m.pages:
                if run.kind.startswith("anon"):
                    cached = True
                    frames_used = max(frames_used, run.target + (run.end - run.start) // PAGE_SIZE)
    scene0 = scenes[0]
    bands: list[Band] = []
    y = 0.0

    def add(layer: str, key: str, label: str) -> None:
        nonlocal y
        bands.append(Band(len(bands), layer, key, label, y - BAND_HEIGHT, y))
        y -= BAND_HEIGHT + BAND_GAP

    for mapping in mappings.values():
        add("virtual", str(mapping.id), f"{mapping.process} {mapping.start:#x}")
    y -= LAYER_GAP - BAND_GAP
    for name in files:
        add("file", name, name)
    y -= LAYER_GAP - BAND_GAP
    if cached and not scene0.dax:
        add("cache", "cache", "page cache")
        y -= LAYER_GAP - BAND_GAP
    add("device", "device", "device")
    quantum = max(scene0.blocksize * 4, file_span // 256 // scene0.blocksize * scene0.blocksize)
    return Layout(
        bands=tuple(bands),
        file_axis=LinearAxis(file_span),
        device_axis=compressed_axis(used_device, scene0.device_size, quantum),
        cache_axis=LinearAxis(max(frames_used, 16) * PAGE_SIZE),
        file_ids={name: i for i, name in enumerate(files)},
    )


class _Columns:
    """Column-dict builder for quads or links."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.data: dict[str, list[Any]] = {name: [] for name in names}

    def add(self, **values: Any) -> None:
        for name, column in self.data.items():
            column.append(values.get(name, _DEFAULTS.get(name, 0)))


_DEFAULTS: dict[str, Any] = {"tip": "", "file": -1, "f0": -1, "f1": -1, "d0": -1, "d1": -1,
                             "c0": -1, "c1": -1, "shared": 0, "pinned": 0, "kind": ""}


def build_frame(layout: Layout, index: int, scene: Scene, step: Step | None,
                before: Scene | None = None) -> Frame:
    """The frame for ``scene`` (after ``step``)."""
    quads = _Columns(COLUMNS)
    links = _Columns(LINK_COLUMNS)
    fa, da, ca = layout.file_axis, layout.device_axis, layout.cache_axis
    device_band = layout.band("device", "device")
    cache_band = layout.band("cache", "cache")
    assert device_band is not None
    for run in scene.metadata:
        if da.x(run.end) - da.x(run.start) > 0.05:
            quads.add(x0=da.x(run.start), x1=da.x(run.end), y0=device_band.y0, y1=device_band.y1,
                      state=STATE["metadata"], band=device_band.index,
                      tip=f"filesystem metadata (log, headers, inode tables) "
                          f"{_range(run.start, run.end)} of the device",
                      d0=run.start, d1=run.end)
    for f in scene.files:
        band = layout.band("file", f.name)
        if band is None:
            continue
        _draw_file(quads, links, layout, band, device_band, cache_band, f, scene)
    for m in scene.mappings:
        band = layout.band("virtual", str(m.id))
        if band is not None:
            _draw_mapping(quads, links, layout, band, device_band, cache_band, m, scene)
    animations = tuple(_animations(layout, step, scene, before)) if step else ()
    del fa, ca
    return Frame(index, step, quads.data, links.data, animations, scene.clock,
                 badges=_badges(layout, scene))


def _badges(layout: Layout, scene: Scene) -> tuple[tuple[int, str], ...]:
    """Short words for what each file or mapping band is now (a badge beside its label)."""
    out = []
    for f in scene.files:
        band = layout.band("file", f.name)
        flags = [word for word, on in (("sealed", f.sealed), ("swapfile", f.swapfile),
                                       ("immutable", f.immutable), ("leased", f.leased)) if on]
        if band is not None and flags:
            out.append((band.index, ", ".join(flags)))
    for m in scene.mappings:
        band = layout.band("virtual", str(m.id))
        if band is not None:
            # The label reads "MAP_SHARED|MAP_DIRECT mapping of data at 0x..."; the band's
            # own label already says where, so the badge keeps only the flags.
            kind = m.label.partition(" mapping")[0]
            out.append((band.index, kind + (", revoked" if m.revoked else "")))
    return tuple(out)


def _draw_file(quads: _Columns, links: _Columns, layout: Layout, band: Band, device: Band,
               cache: Band | None, f: FileScene, scene: Scene) -> None:
    fa, da = layout.file_axis, layout.device_axis
    fid = layout.file_ids[f.name]
    pinned = int(f.sealed or f.swapfile)
    eof = -(-f.size // scene.blocksize) * scene.blocksize
    position = 0
    for e in f.extents:
        if e.offset > position and position < f.size:
            _hole(quads, fa, band, fid, f.name, position, min(e.offset, f.size))
        position = max(position, e.end)
        state = e.state if e.offset < eof else "past-eof"
        where = "past EOF, " if e.offset >= eof else ""
        shared = " shared" if e.shared else ""
        device_text = (f" -> device {_range(e.physical, e.physical + e.length)}"
                       if e.physical is not None else " (no block chosen yet)")
        tip = (f"{f.name} {_range(e.offset, e.end)}: {where}{e.state}{shared}{device_text}"
               + (" — pinned" if pinned else ""))
        common = dict(file=fid, f0=e.offset, f1=e.end, tip=tip, shared=int(e.shared),
                      pinned=pinned, state=STATE[state])
        if e.physical is not None:
            common.update(d0=e.physical, d1=e.physical + e.length)
        quads.add(x0=fa.x(e.offset), x1=fa.x(e.end), y0=band.y0, y1=band.y1, band=band.index,
                  **common)
        if e.physical is not None:
            dx0, dx1 = da.x(e.physical), da.x(e.physical + e.length)
            quads.add(x0=dx0, x1=dx1, y0=device.y0, y1=device.y1, band=device.index, **common)
            links.add(xs=[fa.x(e.offset), fa.x(e.end), dx1, dx0],
                      ys=[band.y0, band.y0, device.y1, device.y1], kind="extent", **common)
    if position < f.size:
        _hole(quads, fa, band, fid, f.name, position, f.size)
    for run in f.dirty:
        quads.add(x0=fa.x(run.start), x1=fa.x(min(run.end, max(eof, run.end))),
                  y0=band.y0, y1=band.y0 + BAND_HEIGHT * 0.22, state=STATE["dirty"],
                  band=band.index, file=fid, f0=run.start, f1=run.end,
                  tip=f"{f.name} {_range(run.start, run.end)}: dirty in the page cache "
                      "(newer than the disk)")
    if cache is not None:
        ca = layout.cache_axis
        for run in f.cached:
            frames = (run.end - run.start) // PAGE_SIZE
            c0, c1 = run.target, run.target + frames
            dirty = any(d.start < run.end and run.start < d.end for d in f.dirty)
            tip = (f"frames {c0}..{c1 - 1}: page cache of {f.name} {_range(run.start, run.end)}"
                   + (", some dirty" if dirty else ""))
            common = dict(file=fid, f0=run.start, f1=run.end, c0=c0, c1=c1, tip=tip)
            quads.add(x0=ca.x(c0 * PAGE_SIZE), x1=ca.x(c1 * PAGE_SIZE), y0=cache.y0, y1=cache.y1,
                      state=STATE["dirty" if dirty else "cached"], band=cache.index, **common)
            links.add(xs=[fa.x(run.start), fa.x(run.end), ca.x(c1 * PAGE_SIZE),
                          ca.x(c0 * PAGE_SIZE)],
                      ys=[band.y0, band.y0, cache.y1, cache.y1], kind="cache",
                      state=STATE["cached"], **common)


def _hole(quads: _Columns, fa: LinearAxis, band: Band, fid: int, name: str, start: int,
          end: int) -> None:
    quads.add(x0=fa.x(start), x1=fa.x(end), y0=band.y0, y1=band.y1, state=STATE["hole"],
              band=band.index, file=fid, f0=start, f1=end,
              tip=f"{name} {_range(start, end)}: hole (no blocks; reads as zeros)")


def _draw_mapping(quads: _Columns, links: _Columns, layout: Layout, band: Band, device: Band,
                  cache: Band | None, m: MappingScene, scene: Scene) -> None:
    fa, da, ca = layout.file_axis, layout.device_axis, layout.cache_axis
    fid = layout.file_ids.get(m.file, -1) if m.file else -1
    x0, x1 = fa.x(m.file_offset), fa.x(m.file_offset + m.length)
    what = f"{m.file} {_range(m.file_offset, m.file_offset + m.length)}" if m.file else \
        "anonymous memory"
    quads.add(x0=x0, x1=x1, y0=band.y0, y1=band.y1,
              state=STATE["revoked" if m.revoked else "mapping"], band=band.index, file=fid,
              f0=m.file_offset if m.file else -1, f1=m.file_offset + m.length if m.file else -1,
              pinned=int(m.direct), tip=f"{m.label} [{m.start:#x}, {m.start + m.length:#x}) "
              f"maps {what}" + (" — revoked" if m.revoked else ""))
    file_band = layout.band("file", m.file) if m.file else None
    if file_band is not None:
        links.add(xs=[x0, x1, x1, x0], ys=[band.y0, band.y0, file_band.y1, file_band.y1],
                  kind="vma", state=STATE["mapping"], file=fid, f0=m.file_offset,
                  f1=m.file_offset + m.length, tip=f"{m.label} maps {what}")
    for run in m.pages:
        target, _, writable = run.kind.partition("-")
        f0 = m.file_offset + run.start
        f1 = m.file_offset + run.end
        vx0, vx1 = fa.x(f0), fa.x(f1)
        address = f"[{m.start + run.start:#x}, {m.start + run.end:#x})"
        count = (run.end - run.start) // PAGE_SIZE
        state = {"zero": "zero", "anon": "anon"}.get(target, "entry-w" if writable else "entry")
        points_at = {
            "frame": f"page-cache frames {run.target}..{run.target + count - 1}",
            "anon": f"private frames {run.target}..{run.target + count - 1}",
            "block": f"device blocks {run.target}..{run.target + count - 1} (DAX)",
            "zero": "the shared zero page",
        }[target]
        tip = f"{m.process} {address}: {'writable' if writable else 'read-only'} -> {points_at}"
        common: dict[str, Any] = dict(file=fid if m.file else -1, f0=f0 if m.file else -1,
                                      f1=f1 if m.file else -1, tip=tip)
        if target in ("frame", "anon"):
            common.update(c0=run.target, c1=run.target + count)
        if target == "block":
            bs = scene.blocksize
            common.update(d0=run.target * bs, d1=(run.target + count) * bs)
        quads.add(x0=vx0, x1=vx1, y0=band.y0, y1=band.y0 + BAND_HEIGHT * 0.6,
                  state=STATE[state], band=band.index, **common)
        if target in ("frame", "anon") and cache is not None:
            cx0, cx1 = ca.x(run.target * PAGE_SIZE), ca.x((run.target + count) * PAGE_SIZE)
            links.add(xs=[vx0, vx1, cx1, cx0], ys=[band.y0, band.y0, cache.y1, cache.y1],
                      kind="entry", state=STATE[state], **common)
            if target == "anon":
                quads.add(x0=cx0, x1=cx1, y0=cache.y0, y1=cache.y1, state=STATE["anon"],
                          band=cache.index, **common)
        elif target == "block":
            bs = scene.blocksize
            dx0, dx1 = da.x(run.target * bs), da.x((run.target + count) * bs)
            links.add(xs=[vx0, vx1, dx1, dx0], ys=[band.y0, band.y0, device.y1, device.y1],
                      kind="entry", state=STATE[state], **common)


def _animations(layout: Layout, step: Step, scene: Scene, before: Scene | None) -> list[Animation]:
    out: list[Animation] = []
    places = _Places(layout, scene, before)
    for order, event in enumerate(step.events):
        for band, x0, x1 in places.of(event):
            out.append(Animation(order, event.kind.value, band, x0, x1, event.why,
                                 event.result or "", event.until))
    if step.result not in ("ok", "skipped") and not any(a.kind in ("refuse", "sigbus")
                                                          for a in out):
        for file_band in layout.bands:
            if file_band.layer == "file" and file_band.key == step.file:
                out.append(Animation(len(step.events), "refuse", file_band.index, 0.0, WIDTH,
                                     step.why or step.result, step.result))
    return out


MIN_PLACE = 2.0
"""Narrowest place an event shows at (x units), so a one-byte event is still seen."""


class _Places:
    """Where a step's events show: ``(band, x0, x1)`` in each layer an event touches.

    One per step, holding what every event of the step looks up: sealing a
    million-extent file is a step of a million events.
    """

    def __init__(self, layout: Layout, scene: Scene, before: Scene | None) -> None:
        self.layout = layout
        device = layout.band("device", "device")
        assert device is not None
        self.device = device
        self.cache = layout.band("cache", "cache")
        self.mappings = _mappings(scene, before)

    def of(self, event: Event) -> list[tuple[int, float, float]]:
        layout = self.layout
        fa, da, ca = layout.file_axis, layout.device_axis, layout.cache_axis
        places = []
        if event.file is not None:
            band = layout.band("file", event.file.name)
            if band is not None:
                end = event.file.end if event.file.end > event.file.start else event.file.start + 1
                places.append(_place(band, fa.x(event.file.start), fa.x(end)))
        if event.device is not None:
            places.append(_place(self.device, da.x(event.device.start), da.x(event.device.end)))
        if event.frames is not None and self.cache is not None:
            places.append(_place(self.cache, ca.x(event.frames.first * PAGE_SIZE),
                                 ca.x(event.frames.stop * PAGE_SIZE)))
        if event.virtual is not None:
            places.extend(self._virtual(event.virtual))
        return places

    def _virtual(self, virtual: VirtualRange) -> list[tuple[int, float, float]]:
        """The band of the first mapping holding the range's start, over what it maps."""
        fa = self.layout.file_axis
        for mapping in self.mappings:
            if mapping.process != virtual.process:
                continue
            if not mapping.start <= virtual.start < mapping.start + max(mapping.length, 1):
                continue
            band = self.layout.band("virtual", str(mapping.id))
            if band is None:
                continue
            offset = mapping.file_offset + virtual.start - mapping.start
            end = (mapping.file_offset - mapping.start
                   + min(virtual.end, mapping.start + mapping.length))
            return [_place(band, fa.x(offset), fa.x(end))]
        return []


def _place(band: Band, x0: float, x1: float) -> tuple[int, float, float]:
    return band.index, x0, max(x1, x0 + MIN_PLACE)


def _mappings(scene: Scene, before: Scene | None) -> list[MappingScene]:
    seen = {m.id for m in scene.mappings}
    gone = [m for m in (before.mappings if before else ()) if m.id not in seen]
    return list(scene.mappings) + gone


def _range(start: int, end: int) -> str:
    return f"[{_short(start)}, {_short(end)})"


def _short(n: int) -> str:
    return "0" if n == 0 else human_bytes(n) if n % 1024 == 0 else str(n)
