"""The trace: one frozen :class:`Step` per command (and per directive that does something).

A step holds the command, how it ended, why, the events in order, what
xfs_io would have printed, the narration and expectation attached to it, and
the views of every named file afterwards.  Front ends read only this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mapviz.core.events import Event
from mapviz.core.scene import Scene
from mapviz.core.snapshot import FileView


@dataclass(frozen=True, slots=True)
class Step:
    """What one scenario line did.

    ``is_command`` is False for directive steps (``%sleep``, ``%extent``),
    which ``mapviz run --json`` leaves out: SCENARIO.md's steps are xfs_io
    commands and ``%swapon`` / ``%swapoff``.
    """

    index: int
    line: int
    command: str
    name: str
    process: str
    file: str | None
    result: str
    why: str | None
    events: tuple[Event, ...]
    output: tuple[str, ...] = ()
    note: str | None = None
    expect: str | None = None
    files: Mapping[str, FileView] = field(default_factory=dict)
    clock: float = 0.0
    is_command: bool = True
    scene: Scene | None = None
    """The world after the step as the views draw it (when the simulation records scenes)."""

    @property
    def ok(self) -> bool:
        return self.result == "ok"

    @property
    def expectation_failed(self) -> bool:
        return self.expect is not None and self.expect != self.result

    def to_json(self) -> dict[str, Any]:
        """The step as SCENARIO.md's schema 1 ``steps`` entry."""
        out: dict[str, Any] = {
            "line": self.line,
            "command": self.command,
            "process": self.process,
            "file": self.file,
            "result": self.result,
            "why": self.why,
            "events": [event.to_json() for event in self.events],
            "files": {name: view.to_json() for name, view in self.files.items()},
        }
        if self.expect is not None:
            out["expect"] = self.expect
        if self.note is not None:
            out["note"] = self.note
        return out
