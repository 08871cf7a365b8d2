"""What happened inside a step: frozen, typed events naming the layer ranges they touched.

Each event says which part of each layer it concerns -- a range of a
process's virtual addresses, of a file's offsets, of the device, of the
page-cache frames -- so a view can light exactly those up, and carries a
one-line ``why`` a learner can read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class EventKind(enum.Enum):
    """The kinds of events (DESIGN.md "Events")."""

    OPEN = "open"
    CLOSE = "close"
    MMAP = "mmap"
    MUNMAP = "munmap"
    FAULT = "fault"  # a page fault reached the kernel
    MAP_PAGE = "map_page"  # a page-table entry now points at a frame / block / the zero page
    ZAP_PAGE = "zap_page"  # page-table entries removed
    WRITE_PROTECT = "write_protect"  # writable entries made read-only (writeback cleaned them)
    CACHE_FILL = "cache_fill"  # pages read (or zero-filled) into the page cache
    CACHE_DROP = "cache_drop"  # pages evicted from the page cache
    DIRTY = "dirty"  # page-cache blocks now hold data not yet on disk
    DELALLOC = "delalloc"  # blocks reserved for delayed allocation
    WRITEBACK = "writeback"  # dirty data written to disk
    ALLOC = "alloc"  # device blocks allocated to a file
    FREE = "free"  # device blocks unmapped from a file (freed when no owner is left)
    CONVERT = "convert"  # extent state changed (unwritten <-> written)
    COW = "cow"  # copy-on-write: a shared block replaced by a private copy
    SHARE = "share"  # blocks now shared with another file (reflink, dedupe)
    UNSHARE = "unshare"  # blocks no longer shared
    REMAP = "remap"  # extents moved between files or offsets (swapext, collapse, insert)
    SIZE_CHANGE = "size_change"
    ZERO = "zero"  # bytes zeroed in place (partial blocks)
    SEAL = "seal"  # v5: the block map of the file is pinned
    UNSEAL = "unseal"
    REFUSE = "refuse"  # an operation was refused (ETXTBSY, EPERM, ...)
    SIGBUS = "sigbus"
    SIGSEGV = "sigsegv"
    LEASE = "lease"  # a MAP_DIRECT lease was taken
    LEASE_BREAK = "lease_break"  # SIGIO to the holder; the break timer starts
    LEASE_RELEASE = "lease_release"
    REVOKE = "revoke"  # the lease timed out: the mapping is torn down
    METADATA_SYNC = "metadata_sync"  # MAP_SYNC: block-map metadata made durable before mapping
    SWAPON = "swapon"
    SWAPOFF = "swapoff"
    FLAGS = "flags"  # inode flags changed (chattr)
    TIME = "time"  # simulated time advanced


@dataclass(frozen=True, slots=True)
class FileRange:
    """Bytes ``[start, end)`` of file ``name``."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class VirtualRange:
    """Virtual addresses ``[start, end)`` of process ``process``."""

    process: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class DeviceRange:
    """Device bytes ``[start, end)``."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class FrameRange:
    """Memory frames ``[first, stop)`` (page cache or anonymous memory)."""

    first: int
    stop: int


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened, with the layer ranges it touched.

    ``state`` names the extent state an ``alloc``/``convert`` left behind,
    ``target`` what a ``map_page`` entry points at (``frame``, ``block``,
    ``zero``, ``anon``), ``result`` the errno or signal of a ``refuse`` /
    ``sigbus``, ``until`` the simulated deadline of a lease break.
    """

    kind: EventKind
    why: str
    file: FileRange | None = None
    virtual: VirtualRange | None = None
    device: DeviceRange | None = None
    frames: FrameRange | None = None
    state: str | None = None
    target: str | None = None
    writable: bool | None = None
    result: str | None = None
    until: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The event as SCENARIO.md's ``events`` entries (unset fields left out)."""
        out: dict[str, Any] = {"kind": self.kind.value, "why": self.why}
        if self.file is not None:
            out["file"] = {"name": self.file.name, "start": self.file.start, "end": self.file.end}
        if self.virtual is not None:
            out["virtual"] = {
                "process": self.virtual.process,
                "start": self.virtual.start,
                "end": self.virtual.end,
            }
        if self.device is not None:
            out["physical"] = {"start": self.device.start, "end": self.device.end}
        if self.frames is not None:
            out["frames"] = {"first": self.frames.first, "stop": self.frames.stop}
        for name in ("state", "target", "writable", "result", "until"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


# --- fast construction --------------------------------------------------------
#
# A run of the benchmark script makes ~100,000 events, and a frozen dataclass's
# __init__ pays a keyword call and ``object.__setattr__`` per field (eleven for
# an Event).  ``new_event`` builds the very same objects -- same class, fields,
# equality, hash and immutability -- by setting each slot through its member
# descriptor, in half the time.

_new = object.__new__


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Any, ...]:
    """The ``__set__`` of each named slot of ``cls`` (its member descriptors)."""
    return tuple(getattr(cls, name).__set__ for name in names)


_EVENT_EXTRAS = ("state", "target", "writable", "result", "until")
(
    _set_kind,
    _set_why,
    _set_file,
    _set_virtual,
    _set_device,
    _set_frames,
    _set_state,
    _set_target,
    _set_writable,
    _set_result,
    _set_until,
) = _slot_setters(Event, ("kind", "why", "file", "virtual", "device", "frames", *_EVENT_EXTRAS))
_EXTRA_SETTERS = dict(
    zip(
        _EVENT_EXTRAS,
        (_set_state, _set_target, _set_writable, _set_result, _set_until),
        strict=True,
    )
)
_set_file_name, _set_file_start, _set_file_end = _slot_setters(FileRange, ("name", "start", "end"))
_set_frame_first, _set_frame_stop = _slot_setters(FrameRange, ("first", "stop"))


def new_event(
    kind: EventKind,
    why: str,
    file: tuple[str, int, int] | None,
    virtual: tuple[str, int, int] | None,
    device: tuple[int, int] | None,
    frames: tuple[int, int] | None,
    extra: dict[str, Any],
) -> Event:
    """``Event(kind, why, FileRange(*file), VirtualRange(*virtual), DeviceRange(*device),
    FrameRange(*frames), **extra)`` (ranges ``None`` stay ``None``), built fast.

    >>> e = new_event(EventKind.ZERO, "why", ("f", 0, 4096), None, None, (1, 2), {"state": "x"})
    >>> e == Event(EventKind.ZERO, "why", FileRange("f", 0, 4096), frames=FrameRange(1, 2),
    ...            state="x")
    True
    """
    event = _new(Event)
    _set_kind(event, kind)
    _set_why(event, why)
    if file is not None:  # the common ranges slot by slot; the rarer ones as usual
        name, start, end = file
        file_range = _new(FileRange)
        _set_file_name(file_range, name)
        _set_file_start(file_range, start)
        _set_file_end(file_range, end)
        _set_file(event, file_range)
    else:
        _set_file(event, None)
    _set_virtual(event, None if virtual is None else VirtualRange(*virtual))
    _set_device(event, None if device is None else DeviceRange(*device))
    if frames is not None:
        first, stop = frames
        frame_range = _new(FrameRange)
        _set_frame_first(frame_range, first)
        _set_frame_stop(frame_range, stop)
        _set_frames(event, frame_range)
    else:
        _set_frames(event, None)
    _set_state(event, None)
    _set_target(event, None)
    _set_writable(event, None)
    _set_result(event, None)
    _set_until(event, None)
    for name, value in extra.items():
        setter = _EXTRA_SETTERS.get(name)
        if setter is None:
            raise TypeError(f"Event has no field {name!r}")
        setter(event, value)
    return event
