"""Schema 1's text, fast: what ``json.dumps(value, indent=1)`` writes, byte for byte.

``mapviz run --json`` prints its document as ``json.dump(..., indent=1)``
would, and readers compare that text.  The standard library encodes indented
JSON in pure Python, a generator per container, which is what made a
10,000-step run take minutes; here the same text comes from string joins,
and a file's extents (most of the bytes) from one format per extent.

Every function takes ``pad``, the indentation of the line the value starts
on, so a piece can be written in place inside a larger document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii as _string
from typing import Any

from mapviz.core.snapshot import FileView

STEP = 1
"""``json.dump``'s ``indent``: one space per level."""


def indented(value: Any, pad: str = "") -> str:
    """``json.dumps(value, indent=1)`` with every line after the first indented by ``pad``.

    >>> print(indented({"a": [1, None, True], "b": {}, "c": "é"}, "  "))
    {
       "a": [
        1,
        null,
        true
       ],
       "b": {},
       "c": "\\u00e9"
      }
    """
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    inner = pad + " " * STEP
    if type(value) is dict and all(type(key) is str for key in value):
        if not value:
            return "{}"
        members = ",".join(
            f"\n{inner}{_string(key)}: {indented(item, inner)}" for key, item in value.items()
        )
        return f"{{{members}\n{pad}}}"
    if type(value) in (list, tuple):
        if not value:
            return "[]"
        items = ",".join(f"\n{inner}{indented(item, inner)}" for item in value)
        return f"[{items}\n{pad}]"
    # Anything else (floats, int and str subclasses, non-string keys): the library's own text.
    return json.dumps(value, indent=STEP).replace("\n", "\n" + pad)


def file_entry(view: FileView, pad: str) -> str:
    """A file's schema 1 entry, ``{"size": ..., "extents": [...]}``, as :func:`indented` writes it.

    One format per extent instead of a dict and a generator per extent: the
    entries of the files are nearly all of a long run's bytes.

    >>> from mapviz.core.snapshot import ExtentView
    >>> view = FileView("f", 8192, (ExtentView(0, 4096, None, "delalloc", False),))
    >>> file_entry(view, "") == indented(view.to_json())
    True
    """
    member = pad + " " * STEP
    item = member + " " * STEP
    field = item + " " * STEP
    if not view.extents:
        return f'{{\n{member}"size": {view.size},\n{member}"extents": []\n{pad}}}'
    extents = ",".join(
        [
            f'\n{item}{{\n{field}"offset": {extent.offset},\n{field}"length": {extent.length},'
            f'\n{field}"physical": {"null" if extent.physical is None else extent.physical},'
            f'\n{field}"state": {_string(extent.state)},'
            f'\n{field}"shared": {"true" if extent.shared else "false"}\n{item}}}'
            for extent in view.extents
        ]
    )
    return f'{{\n{member}"size": {view.size},\n{member}"extents": [{extents}\n{member}]\n{pad}}}'


def files_member(entries: Mapping[str, str | None], pad: str) -> str:
    """A step's ``files`` object from each file's entry already written by :func:`file_entry`.

    ``None`` is a file that is gone (``--changes``): ``null``.

    >>> print(files_member({"a": "{}", "b": None}, " "))
    {
      "a": {},
      "b": null
     }
    """
    if not entries:
        return "{}"
    inner = pad + " " * STEP
    members = ",".join(
        f"\n{inner}{_string(name)}: {'null' if text is None else text}"
        for name, text in entries.items()
    )
    return f"{{{members}\n{pad}}}"
