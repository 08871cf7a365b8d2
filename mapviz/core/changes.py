"""``mapviz run --json --changes``: steps that list only the files they changed, and back.

Schema 1 (SCENARIO.md) repeats every file's size and extents after every
step, so a long run's JSON grows with steps x extents.  With ``--changes``
(SCENARIO.md, "`mapviz run --json --changes`") a step's ``files`` is what
:func:`listed_files` picks: the files whose entry differs from the previous
step's, or every file when one appears.  :func:`carry_forward` and
:func:`full_steps` turn such steps back into schema 1's, for any reader.

Works on ``files`` mappings of any values: schema 1's JSON entries (compared
with ``==``) or the simulator's file views (with a ``same`` that compares
what their JSON shows).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

V = TypeVar("V")

CHANGES_KEY = "changes"
"""The top-level key, ``true``, that marks a document whose steps list only changes."""


def listed_files(
    before: Mapping[str, V],
    after: Mapping[str, V],
    same: Callable[[V, V], bool] = operator.eq,
) -> dict[str, V | None]:
    """What a step's ``files`` lists under ``--changes``, given the files before and after it.

    * If a file has an entry ``after`` but none ``before`` (every file, at the
      first step), every entry ``after``, in its order: the whole state, so a
      reader also learns where the new file stands;
    * else each file whose entry is not ``same`` as before, in ``after``'s
      order, then ``None`` for each file that has an entry ``before`` but
      none ``after`` (the simulator never deletes a file, a real run might).

    O(files), plus ``same`` on each file present on both sides.

    >>> listed_files({"a": 1, "b": 2}, {"a": 1, "b": 3})
    {'b': 3}
    >>> listed_files({"a": 1}, {"a": 1, "b": 2})
    {'a': 1, 'b': 2}
    >>> listed_files({"a": 1, "b": 2}, {"a": 1})
    {'b': None}
    """
    if any(name not in before for name in after):
        return dict(after)
    listed: dict[str, V | None] = {
        name: entry for name, entry in after.items() if not same(before[name], entry)
    }
    listed.update((name, None) for name in before if name not in after)
    return listed


def only_changes(steps: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Schema 1 steps as ``--changes`` steps: each with :func:`listed_files` as its ``files``.

    >>> steps = [{"line": 1, "files": {"a": {"size": 0}}},
    ...          {"line": 2, "files": {"a": {"size": 0}}}]
    >>> list(only_changes(steps))
    [{'line': 1, 'files': {'a': {'size': 0}}}, {'line': 2, 'files': {}}]
    """
    before: Mapping[str, Any] = {}
    for step in steps:
        after = step.get("files") or {}
        yield {**step, "files": listed_files(before, after)}
        before = after


def carry_forward(steps: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """``--changes`` steps as schema 1's: each file's last listed entry carried forward.

    The inverse of :func:`only_changes`: a step listing a file not yet known
    lists them all; else its entries replace the known ones (``None``: gone).
    A step shares the entries of unchanged files with the step before it, so
    expanding costs O(files) a step, not O(extents).

    >>> steps = [{"line": 1, "files": {"a": {"size": 0}}},
    ...          {"line": 2, "files": {}},
    ...          {"line": 3, "files": {"a": None}}]
    >>> [step["files"] for step in carry_forward(steps)]
    [{'a': {'size': 0}}, {'a': {'size': 0}}, {}]
    """
    state: dict[str, Any] = {}
    for step in steps:
        listed = step.get("files") or {}
        if any(entry is not None and name not in state for name, entry in listed.items()):
            state = {name: entry for name, entry in listed.items() if entry is not None}
        else:
            state = dict(state)
            for name, entry in listed.items():
                if entry is None:
                    state.pop(name, None)
                else:
                    state[name] = entry
        yield {**step, "files": state}


def full_steps(document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """A ``mapviz run --json`` document's steps as schema 1's, whichever form it is in.

    For readers that take both: a document marked ``"changes": true`` is
    carried forward, any other is read as it is.
    """
    steps: Iterable[Mapping[str, Any]] = document["steps"]
    if document.get(CHANGES_KEY):
        return carry_forward(steps)
    return (dict(step) for step in steps)


def expand(document: Mapping[str, Any]) -> dict[str, Any]:
    """The schema 1 document of a ``--changes`` one (any other comes back as a copy).

    >>> expand({"schema": 1, "changes": True, "steps": [{"files": {"a": 1}}, {"files": {}}]})
    {'schema': 1, 'steps': [{'files': {'a': 1}}, {'files': {'a': 1}}]}
    """
    out = {key: value for key, value in document.items() if key != CHANGES_KEY}
    out["steps"] = list(full_steps(document))
    return out


def only_changes_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """A schema 1 document in the ``--changes`` form: marked, each step with only its changes.

    ``"changes": true`` goes right after ``"schema"``, where a reader looks first.

    >>> only_changes_document({"schema": 1, "steps": [{"files": {"a": 1}}, {"files": {"a": 1}}]})
    {'schema': 1, 'changes': True, 'steps': [{'files': {'a': 1}}, {'files': {}}]}
    """
    out: dict[str, Any] = {} if "schema" in document else {CHANGES_KEY: True}
    for key, value in document.items():
        out[key] = list(only_changes(value)) if key == "steps" else value
        if key == "schema":
            out[CHANGES_KEY] = True
    return out
