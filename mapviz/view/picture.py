"""The picture: every lane, mark, link and alert the views draw, in the units of the thing drawn.

``mapviz picture`` prints it (docs/PICTURE.md, a contract) and every renderer
draws from it: a view is checked by checking its picture against the engine.
A picture is a pure function of a step's scene (and the scene before it, for
what just went): file lanes in file-offset bytes, the device in device
bytes, a mapping's pages at the file offsets they map.

Lanes come in drawing order, top to bottom: the processes that have acted
(``actor``), then one group per file -- its mappings, its block map, its page
cache -- then anonymous mappings, then the device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import pairwise
from typing import Any

from mapviz.core.events import Event, EventKind
from mapviz.core.memory import PAGE_SIZE
from mapviz.core.scene import FileScene, MappingScene, Scene
from mapviz.core.trace import Step

SCHEMA = 1

# Commands whose ETXTBSY stops blocks from being freed or moved: the alert also
# lights those blocks on the device (docs/PICTURE.md "alerts").
FREES_RANGE = frozenset({"fpunch", "fzero", "truncate", "reflink", "dedupe", "funshare"})
MOVES_TAIL = frozenset({"fcollapse", "finsert"})  # everything from the offset on moves
MOVES_ALL = frozenset({"swapext"})
SHARED_COPIED = frozenset({"pwrite", "mwrite"})  # a store over shared blocks copies them
NOT_AN_ALERT = frozenset({"ok", "skipped"})


@dataclass(frozen=True, slots=True)
class Lane:
    """A row on screen (docs/PICTURE.md "lanes")."""

    id: str
    layer: str
    owner: str | None
    label: str
    file: str | None = None
    file_offset: int | None = None
    length: int | None = None
    address: int | None = None
    ghost: bool = False
    kind: str = ""  # virtual lanes: the mapping's flags as the man page spells them

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "layer": self.layer, "owner": self.owner}
        if self.layer == "virtual":
            out.update(
                file=self.file,
                file_offset=self.file_offset,
                length=self.length,
                address=self.address,
            )
        if self.ghost:
            out["ghost"] = True
        return out


@dataclass(frozen=True, slots=True)
class Mark:
    """``[start, end)`` of a lane in one state (docs/PICTURE.md "marks")."""

    lane: str
    start: int
    end: int
    state: str
    flags: tuple[str, ...] = ()
    frame: int | None = None  # cache marks: the first page-cache frame
    target: str | None = None  # virtual marks with an entry: "cache", "device", "anon"
    owners: tuple[str, ...] = ()  # device marks: the files whose extents use the blocks
    number: int | None = None  # virtual marks with an entry: first frame or block it points at
    binned: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "lane": self.lane,
            "start": self.start,
            "end": self.end,
            "state": self.state,
            "flags": list(self.flags),
        }
        if self.frame is not None:
            out["frame"] = self.frame
        if self.target is not None:
            out["target"] = self.target
        if self.owners:
            out["owners"] = list(self.owners)
        if self.binned:
            out["binned"] = True
        return out


@dataclass(frozen=True, slots=True)
class Link:
    """A connector from ``[a, b)`` of one lane to ``[c, d)`` of another, each in its own units."""

    kind: str  # map, extent, cache, pte
    source: tuple[str, int, int]
    target: tuple[str, int, int]
    state: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "from": list(self.source), "to": list(self.target)}


@dataclass(frozen=True, slots=True)
class Alert:
    """What a step refused or killed, on exactly the range it asked for."""

    kind: str
    lane: str
    start: int
    end: int
    by: str
    why: str
    until: float | None = None  # a lease break: when the holder's mapping is revoked

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "lane": self.lane,
            "start": self.start,
            "end": self.end,
            "by": self.by,
            "why": self.why,
        }
        if self.until is not None:
            out["until"] = self.until
        return out


@dataclass(frozen=True, slots=True)
class Picture:
    """Everything drawn after one step (step 0: before the first)."""

    step: int
    source: Step | None
    lanes: tuple[Lane, ...]
    marks: tuple[Mark, ...]
    links: tuple[Link, ...]
    alerts: tuple[Alert, ...]
    blocksize: int = 4096
    device_size: int = 0

    def lane(self, lane_id: str) -> Lane | None:
        return next((lane for lane in self.lanes if lane.id == lane_id), None)

    def marks_of(self, lane_id: str) -> list[Mark]:
        return [mark for mark in self.marks if mark.lane == lane_id]

    def to_json(self) -> dict[str, Any]:
        step = self.source
        return {
            "step": self.step,
            "line": step.line if step else None,
            "command": step.command if step else None,
            "result": step.result if step else None,
            "lanes": [lane.to_json() for lane in self.lanes],
            "marks": [mark.to_json() for mark in self.marks],
            "links": [link.to_json() for link in self.links],
            "alerts": [alert.to_json() for alert in self.alerts],
        }


# --- building a picture ----------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    lanes: list[Lane] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    memo: PartsMemo = field(default_factory=lambda: PartsMemo())

    def part(self, key: tuple[Any, ...], draw: Callable[[], None], pin: object = None) -> None:
        """Draw a part with ``draw()``, or add what it drew from the same ``key`` before.

        Consecutive pictures of a long scenario are mostly the same files,
        mappings and device: they share those parts' lanes, marks and links
        (the same objects), drawn once.  A key may hold ``id()`` of what
        ``pin`` keeps alive, so that the id is not reused.
        """
        known = self.memo.parts.get(key)
        if known is None:
            lanes, marks, links = len(self.lanes), len(self.marks), len(self.links)
            draw()
            same = self.memo.same
            self.marks[marks:] = [same.setdefault(mark, mark) for mark in self.marks[marks:]]
            self.links[links:] = [same.setdefault(link, link) for link in self.links[links:]]
            self.memo.parts[key] = (
                tuple(self.lanes[lanes:]),
                tuple(self.marks[marks:]),
                tuple(self.links[links:]),
                pin,
            )
            return
        self.lanes += known[0]
        self.marks += known[1]
        self.links += known[2]


class PartsMemo:
    """Parts of pictures already drawn, by everything they were drawn from (``_Draft.part``).

    ``same`` holds one object for each distinct mark or link, so a part drawn
    again after a small change shares its unchanged marks with the last one.
    """

    def __init__(self) -> None:
        self.parts: dict[
            tuple[Any, ...], tuple[tuple[Lane, ...], tuple[Mark, ...], tuple[Link, ...], object]
        ] = {}
        self.same: dict[Any, Any] = {}


def _file_key(f: FileScene) -> tuple[Any, ...]:
    """What a file's lanes are drawn from: its extents by identity (a scene keeps the same
    tuple while the block map is unchanged; hashing a big file's would cost more)."""
    return (f.name, id(f.extents), f.size, f.dirty, f.cached, file_flags(f), f.binned)


def take_picture(
    index: int,
    scene: Scene,
    step: Step | None,
    *,
    actors: Sequence[str] = (),
    before: Scene | None = None,
    memo: PartsMemo | None = None,
) -> Picture:
    """The picture after step ``index`` (``step``), whose world is ``scene``.

    ``actors`` are the processes that have acted so far, in the order they
    first did; ``before`` is the scene before the step (a mapping it had and
    this one has not is drawn once more, as a ghost).  ``memo`` carries parts
    drawn for earlier pictures of the same run.
    """
    draft = _Draft(memo=memo if memo is not None else PartsMemo())
    for process in actors:
        draft.lanes.append(Lane(f"actor:{process}", "actor", process, process))
    gone = _unmapped(scene, before)
    for f in scene.files:
        for mapping in [*_file_mappings(scene.mappings, f.name), *_file_mappings(gone, f.name)]:
            _mapping_part(draft, mapping, scene, ghost=mapping in gone)
        key = _file_key(f)
        draft.part(("file", *key), partial(_file, draft, f, scene), pin=f.extents)
        if not scene.dax:
            draft.part(("cache", *key), partial(_cache, draft, f), pin=f.extents)
    for mapping in [m for m in (*scene.mappings, *gone) if m.file is None]:
        _mapping_part(draft, mapping, scene, ghost=mapping in gone)
    draft.lanes.append(Lane("device", "device", None, "device"))
    device_key = (
        "device",
        tuple((f.name, id(f.extents), f.swapfile) for f in scene.files),
        scene.metadata,
        scene.device_size,
    )

    def draw_device() -> None:
        draft.marks.extend(device_marks(scene))

    draft.part(device_key, draw_device, pin=tuple(f.extents for f in scene.files))
    if step is not None:
        draft.alerts += _alerts(step, scene, gone)
    return Picture(
        index,
        step,
        tuple(draft.lanes),
        tuple(draft.marks),
        tuple(draft.links),
        tuple(draft.alerts),
        scene.blocksize,
        scene.device_size,
    )


def _mapping_part(draft: _Draft, m: MappingScene, scene: Scene, *, ghost: bool) -> None:
    key = ("map", m, ghost, scene.blocksize)
    draft.part(key, partial(_mapping, draft, m, scene, ghost=ghost))


def _file_mappings(mappings: Iterable[MappingScene], name: str) -> list[MappingScene]:
    return [m for m in mappings if m.file == name]


def _unmapped(scene: Scene, before: Scene | None) -> tuple[MappingScene, ...]:
    if before is None:
        return ()
    now = {m.id for m in scene.mappings}
    return tuple(m for m in before.mappings if m.id not in now)


def file_flags(f: FileScene) -> tuple[str, ...]:
    """What protects the file's block map now (docs/PICTURE.md flags, in that order)."""
    return tuple(
        flag
        for flag, on in (
            ("pinned", f.sealed),
            ("leased", f.leased),
            ("swapfile", f.swapfile),
            ("immutable", f.immutable),
        )
        if on
    )


def _file(draft: _Draft, f: FileScene, scene: Scene) -> None:
    lane = f"file:{f.name}"
    draft.lanes.append(Lane(lane, "file", f.name, f.name))
    protect = file_flags(f)
    position = 0
    past_start: int | None = None
    past_end = 0
    for e in f.extents:
        if e.offset > position and position < f.size:
            draft.marks.append(
                Mark(lane, position, min(e.offset, f.size), "hole", protect, binned=f.binned)
            )
        position = max(position, e.end)
        if e.offset < f.size:
            flags = (("shared",) if e.shared else ()) + protect
            draft.marks.append(
                Mark(lane, e.offset, min(e.end, f.size), e.state, flags, binned=f.binned)
            )
        if e.end > f.size:
            past_start = max(f.size, e.offset) if past_start is None else past_start
            past_end = max(past_end, e.end)
        if e.physical is not None:
            draft.links.append(
                Link(
                    "extent",
                    (lane, e.offset, e.end),
                    ("device", e.physical, e.physical + e.length),
                    e.state,
                )
            )
    if position < f.size:
        draft.marks.append(Mark(lane, position, f.size, "hole", protect, binned=f.binned))
    if past_start is not None:
        draft.marks.append(Mark(lane, past_start, past_end, "past-eof", protect, binned=f.binned))


def _cache(draft: _Draft, f: FileScene) -> None:
    """The file's page cache: each cached page under its file page, dirty exact to the block."""
    if not f.cached:
        return
    lane = f"cache:{f.name}"
    draft.lanes.append(Lane(lane, "cache", f.name, f"{f.name} page cache"))
    for run in f.cached:
        draft.links.append(
            Link("cache", (f"file:{f.name}", run.start, run.end), (lane, run.start, run.end))
        )
        for start, end, dirty in _split(run.start, run.end, [(d.start, d.end) for d in f.dirty]):
            frame = run.target + (start - run.start) // PAGE_SIZE
            draft.marks.append(Mark(lane, start, end, "dirty" if dirty else "cached", frame=frame))


def _split(
    start: int, end: int, inside: Iterable[tuple[int, int]]
) -> Iterator[tuple[int, int, bool]]:
    """``[start, end)`` cut where ``inside`` (sorted, disjoint) begins and ends."""
    position = start
    for a, b in inside:
        a, b = max(a, start), min(b, end)
        if a >= b:
            continue
        if a > position:
            yield position, a, False
        yield a, b, True
        position = b
    if position < end:
        yield position, end, False


def _mapping(draft: _Draft, m: MappingScene, scene: Scene, *, ghost: bool) -> None:
    """A mapping's lane: each page at the file offset it maps (anonymous: its own offset)."""
    lane = f"map:{m.id}"
    draft.lanes.append(
        Lane(
            lane,
            "virtual",
            m.process,
            f"{m.process} {m.start:#x}",
            file=m.file,
            file_offset=m.file_offset if m.file else None,
            length=m.length,
            address=m.start,
            ghost=ghost,
            kind=m.label.partition(" mapping")[0],
        )
    )
    base = m.file_offset if m.file else 0
    # What kind of mapping it is (the entry's own protection is its state, pte-ro / pte-rw).
    flags = tuple(flag for flag, on in (("direct", m.direct), ("sync", m.sync)) if on)
    if m.file:
        draft.links.append(
            Link("map", (lane, base, base + m.length), (f"file:{m.file}", base, base + m.length))
        )
    if m.revoked or ghost:
        draft.marks.append(
            Mark(lane, base, base + m.length, "revoked" if m.revoked else "mapped", flags)
        )
        return
    position = 0
    for run in m.pages:
        if run.start > position:
            draft.marks.append(Mark(lane, base + position, base + run.start, "mapped", flags))
        target, _, writable = run.kind.partition("-")
        state = "zero" if target == "zero" else "pte-rw" if writable else "pte-ro"
        where = {"frame": "cache", "block": "device", "anon": "anon"}.get(target)
        draft.marks.append(
            Mark(
                lane,
                base + run.start,
                base + run.end,
                state,
                flags,
                target=where,
                number=None if target == "zero" else run.target,
            )
        )
        if target == "frame" and m.file:
            draft.links.append(
                Link(
                    "pte",
                    (lane, base + run.start, base + run.end),
                    (f"cache:{m.file}", base + run.start, base + run.end),
                )
            )
        elif target == "block":
            bs = scene.blocksize
            first = run.target * bs
            draft.links.append(
                Link(
                    "pte",
                    (lane, base + run.start, base + run.end),
                    ("device", first, first + run.end - run.start),
                )
            )
        position = run.end
    if position < m.length:
        draft.marks.append(Mark(lane, base + position, base + m.length, "mapped", flags))


def device_marks(scene: Scene) -> list[Mark]:
    """The device, whole: metadata, every file's blocks with their owners, free between.

    Shared blocks are one mark naming every owner; a swapfile's blocks are
    ``swap``.  Marks never overlap and cover ``[0, device size)``.
    """
    pieces: list[tuple[int, int, str, str]] = []  # start, end, state, owner
    binned = any(f.binned for f in scene.files)
    for f in scene.files:
        for e in f.extents:
            if e.physical is not None and e.length > 0:
                state = (
                    "swap" if f.swapfile else "written" if e.state != "unwritten" else "unwritten"
                )
                pieces.append((e.physical, e.physical + e.length, state, f.name))
    for run in scene.metadata:
        pieces.append((run.start, run.end, "metadata", ""))
    order = {f.name: i for i, f in enumerate(scene.files)}
    rank = {"metadata": 3, "swap": 2, "written": 1, "unwritten": 0}
    cuts = sorted({0, scene.device_size, *(p[0] for p in pieces), *(p[1] for p in pieces)})
    starts = sorted(pieces)
    marks: list[Mark] = []
    active: list[tuple[int, int, str, str]] = []
    next_piece = 0
    for a, b in pairwise(cuts):
        while next_piece < len(starts) and starts[next_piece][0] <= a:
            active.append(starts[next_piece])
            next_piece += 1
        active = [p for p in active if p[1] > a]
        if active:
            state = max((p[2] for p in active), key=rank.__getitem__)
            owners = tuple(sorted({p[3] for p in active if p[3]}, key=order.__getitem__))
        else:
            state, owners = "free", ()
        last = marks[-1] if marks else None
        if last is not None and last.end == a and (last.state, last.owners) == (state, owners):
            marks[-1] = Mark("device", last.start, b, state, owners=owners, binned=binned)
        else:
            marks.append(Mark("device", a, b, state, owners=owners, binned=binned))
    return marks


# --- alerts ------------------------------------------------------------------------------


def _alerts(step: Step, scene: Scene, gone: Sequence[MappingScene]) -> list[Alert]:
    """``gone``: the mappings the step unmapped (a signal may come from one of them)."""
    out: list[Alert] = []
    mappings = [*scene.mappings, *gone]
    for event in step.events:
        if event.kind in (EventKind.SIGBUS, EventKind.SIGSEGV) and event.virtual is not None:
            out += _on_mapping(event, step, mappings, event.result or step.result)
        elif event.kind is EventKind.REFUSE and event.file is not None:
            lane = f"file:{event.file.name}"
            out.append(
                Alert(
                    event.result or step.result,
                    lane,
                    event.file.start,
                    event.file.end,
                    step.process,
                    event.why,
                )
            )
            if (event.result or step.result) == "ETXTBSY":
                out += _would_move(step, event, scene)
        elif event.kind is EventKind.LEASE_BREAK:
            out += _on_mapping(event, step, mappings, "lease-break", until=event.until)
        elif event.kind is EventKind.REVOKE:
            out += _on_mapping(event, step, mappings, "revoke")
    if step.result not in NOT_AN_ALERT and not any(a.kind == step.result for a in out):
        # A refusal the engine placed nowhere (no file involved): on the actor's own lane.
        out.append(
            Alert(step.result, f"actor:{step.process}", 0, 0, step.process, step.why or step.result)
        )
    return out


def _on_mapping(
    event: Event,
    step: Step,
    mappings: Sequence[MappingScene],
    kind: str,
    until: float | None = None,
) -> list[Alert]:
    """An alert on the mapping holding the event's virtual range, in that lane's units."""
    virtual = event.virtual
    assert virtual is not None
    for m in mappings:
        if m.process != virtual.process or not m.start <= virtual.start < m.start + m.length:
            continue
        base = m.file_offset if m.file else 0
        start = base + virtual.start - m.start
        end = base + min(virtual.end, m.start + m.length) - m.start
        if kind in ("revoke", "lease-break"):
            start, end = base, base + m.length  # the whole mapping goes
        return [Alert(kind, f"map:{m.id}", start, end, step.process, event.why, until)]
    return []


def _would_move(step: Step, event: Event, scene: Scene) -> list[Alert]:
    """The device blocks an ETXTBSY kept from being freed or moved."""
    assert event.file is not None
    f = scene.file(event.file.name)
    if f is None:
        return []
    start, end = event.file.start, event.file.end
    if step.name in MOVES_TAIL:
        end = max(end, f.size, *(e.end for e in f.extents))
    elif step.name in MOVES_ALL:
        start, end = 0, max(f.size, *(e.end for e in f.extents), 1)
    elif step.name == "truncate":
        start, end = min(start, f.size), max(f.size, *(e.end for e in f.extents), 0)
    elif step.name not in FREES_RANGE and step.name not in SHARED_COPIED:
        return []
    out = []
    for e in f.extents:
        if e.physical is None or e.end <= start or e.offset >= end:
            continue
        if step.name in SHARED_COPIED and not e.shared:
            continue
        a, b = max(e.offset, start), min(e.end, end)
        out.append(
            Alert(
                event.result or step.result,
                "device",
                e.physical + a - e.offset,
                e.physical + b - e.offset,
                step.process,
                event.why,
            )
        )
    return out


# --- a whole run ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PictureStep:
    """One picture step: the command step it ends with and the directive steps folded in."""

    step: Step | None  # None: the start, or a run of directives after the last command
    scene: Scene
    folded: tuple[Step, ...] = ()  # %extent, %sleep ... applied since the previous command


def picture_steps(steps: Sequence[Step], scenes: Sequence[Scene]) -> list[PictureStep]:
    """Group a storyboard's steps as ``mapviz run --json`` numbers them.

    ``scenes[0]`` is the start and ``scenes[i]`` the world after ``steps[i-1]``.
    Directive steps (``%extent``, ``%sleep``) are not steps of ``mapviz run
    --json``: they fold into the command that follows them (a run of ``%extent``
    lines becomes part of one step), and a run of them after the last command
    is one more step at the end, so what they did is still shown.
    """
    out = [PictureStep(None, scenes[0])]
    pending: list[Step] = []
    for index, step in enumerate(steps, start=1):
        if step.is_command:
            out.append(PictureStep(step, scenes[index], tuple(pending)))
            pending = []
        else:
            pending.append(step)
    if pending:
        out.append(PictureStep(None, scenes[len(steps)], tuple(pending)))
    return out


Progress = Callable[[str, int, int], None]
"""Told ``(what, done, total)`` as long work goes (a terminal shows it: ``mapviz export``)."""


def take_pictures(
    steps: Sequence[Step],
    scenes: Sequence[Scene],
    *,
    fold: bool = True,
    progress: Progress | None = None,
) -> list[Picture]:
    """The picture after every step, the start first.

    ``fold`` groups the steps as ``mapviz run --json`` numbers them
    (:func:`picture_steps`); without it every step is a picture of its own
    (a view's frames: a ``%sleep`` is a step a learner watches).  Parts
    that did not change from one picture to the next are shared, not drawn again.
    """
    grouped = (
        picture_steps(steps, scenes)
        if fold
        else [
            PictureStep(None, scenes[0]),
            *(PictureStep(step, scene) for step, scene in zip(steps, scenes[1:], strict=True)),
        ]
    )
    pictures = []
    actors: list[str] = []
    before: Scene | None = None
    memo = PartsMemo()
    for index, group in enumerate(grouped):
        for step in (*group.folded, *([group.step] if group.step else [])):
            if step.process not in actors:
                actors.append(step.process)
        pictures.append(
            take_picture(
                index, group.scene, _merged(group), actors=actors, before=before, memo=memo
            )
        )
        before = group.scene
        if progress is not None:
            progress("picturing", index + 1, len(grouped))
    return pictures


def _merged(group: PictureStep) -> Step | None:
    """The step whose events a picture shows: the command's, after those folded into it."""
    if not group.folded:
        return group.step
    events = tuple(event for step in group.folded for event in step.events)
    last = group.step or group.folded[-1]
    return replace(last, events=events + (group.step.events if group.step else ()))


def picture_document(
    pictures: Sequence[Picture], *, scenario: str, kernel: str, only: int | None = None
) -> dict[str, Any]:
    """``mapviz picture``'s JSON (docs/PICTURE.md): every step, or only step ``only``."""
    chosen = [pictures[only]] if only is not None else list(pictures)
    return {
        "schema": SCHEMA,
        "scenario": scenario,
        "kernel": kernel,
        "blocksize": pictures[0].blocksize if pictures else 4096,
        "steps": [picture.to_json() for picture in chosen],
    }
