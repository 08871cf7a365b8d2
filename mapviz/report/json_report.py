"""``mapviz run --json``: schema 1 of SCENARIO.md, and its ``--changes`` form.

:func:`run_json` is the document as a dict, for readers in this process;
:func:`iter_run_json` is its text, ``json.dumps(run_json(...), indent=1)``
byte for byte, in pieces so that a long run never exists as one document (or
one string) in memory; :func:`stream_run_json` writes the same text while it
simulates, so that not even the views of the files after every step do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from mapviz.core.changes import CHANGES_KEY, listed_files, only_changes_document
from mapviz.core.simulation import Simulation, extent_runs
from mapviz.core.snapshot import FileView
from mapviz.core.trace import Step
from mapviz.report.json_text import STEP, file_entry, files_member, indented
from mapviz.scenario.syntax import Item, Scenario

SCHEMA = 1

_STEP_PAD = " " * (2 * STEP)  # a step is an item of the document's "steps" list
_MEMBER_PAD = _STEP_PAD + " " * STEP
_FILES_PAD = _MEMBER_PAD + " " * STEP  # a file's entry in a step's "files"


def run_json(sim: Simulation, scenario: Scenario, *, changes: bool = False) -> dict[str, Any]:
    """The whole run as a JSON-ready dict (steps: xfs_io commands and %swapon/%swapoff).

    ``changes``: the ``--changes`` form, each step listing only the files it
    changed (:func:`mapviz.core.changes.listed_files`).
    """
    document = {
        **_head(sim, scenario, changes=False, ok=not sim.failures),
        "steps": [step.to_json() for step in sim.steps if step.is_command],
    }
    return only_changes_document(document) if changes else document


def iter_run_json(sim: Simulation, scenario: Scenario, *, changes: bool = False) -> Iterator[str]:
    """The text of ``json.dumps(run_json(sim, scenario, changes=...), indent=1)`` and a newline.

    In pieces, one per step, from a simulation that has run (with
    ``record_files``).  A file's entry is formatted once per view, not once
    per step.
    """
    steps = ((step, step.files) for step in sim.steps if step.is_command)
    return _text(_head(sim, scenario, changes=changes, ok=not sim.failures), steps, changes)


def stream_run_json(
    sim: Simulation,
    items: Iterable[Item],
    scenario: Scenario,
    *,
    ok: bool,
    changes: bool = False,
) -> Iterator[str]:
    """:func:`iter_run_json`'s text, written as ``sim`` runs ``items``: O(one step) of memory.

    ``sim`` is fresh and need not record files (``record_files=False``): each
    step's views are taken as it ends and dropped once it is written, so a
    long run's views never pile up in its trace.  The document says ``ok``
    (whether every ``%expect`` held) before its steps, so that comes from an
    earlier run of the same items.
    """
    return _text(_head(sim, scenario, changes=changes, ok=ok), _as_run(sim, items), changes)


def _as_run(
    sim: Simulation, items: Iterable[Item]
) -> Iterator[tuple[Step, Mapping[str, FileView]]]:
    """Each command step of ``items`` run by ``sim``, with the views of the files after it."""
    pending: tuple[int, Mapping[str, FileView]] | None = None
    for item in extent_runs(items):
        step = sim.apply(item)
        if step is None:
            continue
        if pending is not None:  # read back now: a %expect after a step is added to it
            yield sim.steps[pending[0]], pending[1]
        pending = (len(sim.steps) - 1, sim.named_views()) if step.is_command else None
    if pending is not None:
        yield sim.steps[pending[0]], pending[1]


def _text(
    head: dict[str, Any],
    steps: Iterable[tuple[Step, Mapping[str, FileView]]],
    changes: bool,
) -> Iterator[str]:
    """The document: ``head``, then each step with its files' views (or their changes)."""
    text = json.dumps({**head, "steps": []}, indent=STEP)
    empty = "[]\n}"  # where the steps go
    assert text.endswith(empty)
    opening = text[: -len(empty)] + "[\n"
    entries = _EntryTexts(_FILES_PAD)
    before: Mapping[str, str] = {}
    first = True
    for step, views in steps:
        after = {name: entries.text(name, view) for name, view in views.items()}
        # Equal texts are equal entries: --changes compares what it would write.
        files: Mapping[str, str | None] = listed_files(before, after) if changes else after
        before = after
        members = ",".join(
            f"\n{_MEMBER_PAD}{indented(key)}: "
            + (files_member(files, _MEMBER_PAD) if key == "files" else indented(value, _MEMBER_PAD))
            for key, value in replace(step, files={}).to_json().items()
        )
        lead, first = (opening if first else ",\n"), False
        yield f"{lead}{_STEP_PAD}{{{members}\n{_STEP_PAD}}}"
    yield text + "\n" if first else "\n" + " " * STEP + "]\n}\n"


class _EntryTexts:
    """Each file's schema 1 entry as text, formatted once per view.

    Most steps leave most files alone, and the simulator then hands out the
    very view it gave before (:class:`~mapviz.core.snapshot.PerFileMemo`):
    its text is the one written last time.
    """

    def __init__(self, pad: str) -> None:
        self.pad = pad
        self.last: dict[str, tuple[FileView, str]] = {}

    def text(self, name: str, view: FileView) -> str:
        last = self.last.get(name)
        if last is not None and last[0] is view:
            return last[1]
        text = file_entry(view, self.pad)
        self.last[name] = (view, text)
        return text


def _head(sim: Simulation, scenario: Scenario, *, changes: bool, ok: bool) -> dict[str, Any]:
    head: dict[str, Any] = {"schema": SCHEMA}
    if changes:
        head[CHANGES_KEY] = True
    head.update(
        scenario=scenario.name,
        title=scenario.title,
        kernel=sim.kernel,
        fs=sim.fs.to_json(),
        ok=ok,
    )
    return head
