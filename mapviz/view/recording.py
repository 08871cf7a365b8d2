"""A saved run, animated: the view of a ``mapviz run --json`` document.

The view is a function of steps and the world after each; a saved run has
both -- every step's result, why and events, and every named file's size and
extents after it -- so it can be drawn without running anything.  That is how
a real kernel's run (``mapviz run --real --json``) is watched: the same
lanes, the real block maps.  What the document does not record is not drawn:
a real run has no page tables or page cache to show (and no events), a
simulated one shows its events but not its mappings, which only the live
simulator knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mapviz.core.changes import full_steps
from mapviz.core.events import (
    DeviceRange,
    Event,
    EventKind,
    FileRange,
    FrameRange,
    VirtualRange,
)
from mapviz.core.scene import FileScene, Scene
from mapviz.core.snapshot import ExtentView
from mapviz.core.trace import Step
from mapviz.errors import MapvizError
from mapviz.scenario.syntax import FsConfig
from mapviz.view.frames import Frames, plan_layout
from mapviz.view.picture import take_pictures
from mapviz.view.storyboard import View

DEVICE_FALLBACK = 64 << 20  # SCENARIO.md's default device, for a document that does not say


def view_of_run(document: Mapping[str, Any], source: str = "run") -> View:
    """The frames of a saved run (``mapviz run --json``, or ``--real --json``).

    Either form: schema 1, or ``--changes`` (each file's entry carried
    forward to the steps that leave it alone).

    Raises
    ------
    MapvizError
        ``document`` is not such a run (one line, naming ``source``).
    """
    try:
        fs = document.get("fs") or {}
        config = FsConfig(
            str(fs.get("type", "xfs")),
            int(fs.get("blocksize", 4096)),
            int(fs.get("size", DEVICE_FALLBACK)),
            dax=bool(fs.get("dax", False)),
        )
        steps, scenes = [], [_scene({}, config, 0.0)]
        for index, step in enumerate(full_steps(document)):
            steps.append(_step(index, step))
            scenes.append(_scene(step.get("files") or {}, config, float(step.get("clock", 0))))
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise MapvizError(f"{source}: not a mapviz run --json document ({error!r})") from None
    pictures = take_pictures(steps, scenes, fold=False)
    layout = plan_layout(pictures)
    frames = Frames(layout, pictures)
    title = str(document.get("title") or document.get("scenario") or source)
    kernel = str(document.get("kernel", "mainline"))
    if "oracle" in document:
        kernel = f"{kernel} (recorded on Linux {document['oracle'].get('kernel_release', '?')})"
    return View(title, kernel, config.describe(), layout, frames, blocksize=config.blocksize)


def _step(index: int, step: Mapping[str, Any]) -> Step:
    command = str(step["command"])
    return Step(
        index=index,
        line=int(step["line"]),
        command=command,
        name=command.split()[0].lstrip("%") if command else "",
        process=str(step["process"]),
        file=step.get("file"),
        result=str(step["result"]),
        why=step.get("why"),
        events=tuple(_event(e) for e in step.get("events") or ()),
        note=step.get("note"),
        expect=step.get("expect"),
    )


def _event(event: Mapping[str, Any]) -> Event:
    def part(key: str, make: Any, *fields: str) -> Any:
        value = event.get(key)
        return make(*(value[f] for f in fields)) if value else None

    return Event(
        EventKind(event["kind"]),
        str(event.get("why", "")),
        file=part("file", FileRange, "name", "start", "end"),
        virtual=part("virtual", VirtualRange, "process", "start", "end"),
        device=part("physical", DeviceRange, "start", "end"),
        frames=part("frames", FrameRange, "first", "stop"),
        state=event.get("state"),
        target=event.get("target"),
        writable=event.get("writable"),
        result=event.get("result"),
        until=event.get("until"),
    )


def _scene(files: Mapping[str, Any], config: FsConfig, clock: float) -> Scene:
    shown = []
    for name, view in files.items():
        extents = tuple(
            ExtentView(
                int(e["offset"]),
                int(e["length"]),
                None if e.get("physical") is None else int(e["physical"]),
                str(e["state"]),
                bool(e.get("shared", False)),
            )
            for e in view["extents"]
        )
        shown.append(
            FileScene(
                name,
                int(view["size"]),
                extents,
                dirty=(),
                cached=(),
                sealed=False,
                swapfile=False,
                immutable=False,
                leased=False,
            )
        )
    return Scene(tuple(shown), (), config.size, config.blocksize, (), config.dax, clock)
