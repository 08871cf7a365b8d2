"""``mapviz run --json``: schema 1 of SCENARIO.md, and its ``--changes`` form.

:func:`run_json` is the document as a dict, for readers in this process;
:func:`iter_run_json` is its text, ``json.dumps(run_json(...), indent=1)``
byte for byte, written step by step so that a long run never exists as one
document (or one string) in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from mapviz.core.changes import CHANGES_KEY, listed_files, only_changes_document
from mapviz.core.simulation import Simulation
from mapviz.core.snapshot import FileView
from mapviz.report.json_text import STEP, files_member, indented
from mapviz.scenario.syntax import Scenario

SCHEMA = 1

_STEP_PAD = " " * (2 * STEP)  # a step is an item of the document's "steps" list
_MEMBER_PAD = _STEP_PAD + " " * STEP


def run_json(sim: Simulation, scenario: Scenario, *, changes: bool = False) -> dict[str, Any]:
    """The whole run as a JSON-ready dict (steps: xfs_io commands and %swapon/%swapoff).

    ``changes``: the ``--changes`` form, each step listing only the files it
    changed (:func:`mapviz.core.changes.listed_files`).
    """
    document = {
        **_head(sim, scenario, changes=False),
        "steps": [step.to_json() for step in sim.steps if step.is_command],
    }
    return only_changes_document(document) if changes else document


def iter_run_json(sim: Simulation, scenario: Scenario, *, changes: bool = False) -> Iterator[str]:
    """The text of ``json.dumps(run_json(sim, scenario, changes=...), indent=1)`` and a newline.

    In pieces, one per step: O(one step) of memory beyond the simulation's
    own steps.  A file's entry is formatted once per view, not once per step
    (:func:`~mapviz.report.json_text.files_member`).
    """
    head = json.dumps({**_head(sim, scenario, changes=changes), "steps": []}, indent=STEP)
    empty = "[]\n}"  # where the steps go
    assert head.endswith(empty)
    opening = head[: -len(empty)] + "[\n"
    texts: dict[str, tuple[FileView, str]] = {}
    before: Mapping[str, FileView] = {}
    first = True
    for step in sim.steps:
        if not step.is_command:
            continue
        files: Mapping[str, FileView | None] = step.files
        if changes:
            changed = listed_files(before, step.files, _same_json)
            files, before = changed, step.files
        members = ",".join(
            f"\n{_MEMBER_PAD}{indented(key)}: "
            + (
                files_member(files, _MEMBER_PAD, texts)
                if key == "files"
                else indented(value, _MEMBER_PAD)
            )
            for key, value in replace(step, files={}).to_json().items()
        )
        lead, first = (opening if first else ",\n"), False
        yield f"{lead}{_STEP_PAD}{{{members}\n{_STEP_PAD}}}"
    yield head + "\n" if first else "\n" + " " * STEP + "]\n}\n"


def _head(sim: Simulation, scenario: Scenario, *, changes: bool) -> dict[str, Any]:
    head: dict[str, Any] = {"schema": SCHEMA}
    if changes:
        head[CHANGES_KEY] = True
    head.update(
        scenario=scenario.name,
        title=scenario.title,
        kernel=sim.kernel,
        fs=sim.fs.to_json(),
        ok=not sim.failures,
    )
    return head


def _same_json(before: FileView, after: FileView) -> bool:
    """Whether two views of a file have the same schema 1 entry (size and extents)."""
    return before is after or (before.size == after.size and before.extents == after.extents)
