"""The player reads only columns that mapviz/render/schema.py declares.

Every read of a table Python fills -- ``m.story.data.line``, or through an
alias, ``const s = m.story.data`` then ``s.qsegs`` -- is found in the player's
JavaScript and checked against the schema, so a column renamed on one side
and not the other fails here instead of drawing nothing in a browser.
"""

from __future__ import annotations

import re
from importlib import resources

import pytest

from mapviz.render import schema
from mapviz.render.player import LIBRARY
from mapviz.render.tables import build_tables
from mapviz.render.theme import theme_named
from mapviz.scenario import load_scenario
from mapviz.view import Storyboard

# What the player may read off each model Python fills: the stores, and the sources it draws.
DECLARED = {store: set(schema.names(store)) for store in schema.STORES}
DECLARED.update({source: set(columns) for source, columns in schema.DRAWN.items()})
JS_PROPERTIES = {"length"}  # an array's own properties, not columns

_DIRECT = re.compile(r"\bm\.(\w+)\.data\.(\w+)")
_ALIAS = re.compile(r"\b(\w+)\s*=\s*m\.(\w+)\.data\b")


def column_reads(code: str) -> list[tuple[str, str]]:
    """``(model, column)`` for every column read of a model's ``.data`` in ``code``.

    >>> column_reads("const s = m.story.data\\nreturn s.line[f] + m.bands.data.y0[0]")
    [('bands', 'y0'), ('story', 'line')]
    """
    reads = [(model, column) for model, column in _DIRECT.findall(code)]
    for match in _ALIAS.finditer(code):
        alias, model = match.groups()
        # An alias lives in the block it is declared in, from there on.
        scope = code[match.end() : _block_end(code, match.start())]
        reads += [(model, column) for column in re.findall(rf"\b{alias}\.(\w+)", scope)]
    return sorted(
        (model, column)
        for model, column in set(reads)
        if model in DECLARED and column not in JS_PROPERTIES
    )


def _block_end(code: str, at: int) -> int:
    """Where the innermost ``{ ... }`` block holding position ``at`` closes (or the end)."""
    depth = 0
    for index in range(at, len(code)):
        if code[index] == "{":
            depth += 1
        elif code[index] == "}":
            if depth == 0:
                return index
            depth -= 1
    return len(code)


def _player_code() -> dict[str, str]:
    folder = resources.files("mapviz.render").joinpath("js")
    return {name: folder.joinpath(name).read_text("utf-8") for name in (*LIBRARY, "main.js")}


def test_the_player_reads_only_declared_columns() -> None:
    found = []
    for name, code in _player_code().items():
        for model, column in column_reads(code):
            if column not in DECLARED[model]:
                found.append(f"{name}: {model}.{column}")
    assert not found, "columns the schema does not declare:\n" + "\n".join(found)
    assert sum(len(column_reads(code)) for code in _player_code().values()) > 20


def test_an_undeclared_column_is_caught() -> None:
    (read,) = column_reads("const g = m.store_g.data\nconst t = g.colour[i] + g.nonsense[i]")[1:]
    assert read == ("store_g", "nonsense") and "nonsense" not in DECLARED["store_g"]


@pytest.mark.parametrize("name", ["tour", "pinned-block-map"])
def test_the_tables_are_exactly_the_schema(name: str) -> None:
    view = Storyboard.from_scenario(load_scenario(name)).view()
    tables = build_tables(view, theme_named("light"))
    filled = {
        "store_q": tables.quads,
        "store_l": tables.links,
        "store_p": tables.points,
        "store_g": tables.badges,
        "story": tables.story,
        "beats": tables.beats,
        "bands": tables.bands,
        "files": tables.files,
        "sections": tables.sections,
    }
    assert set(filled) == set(schema.STORES)
    for store, columns in filled.items():
        assert list(columns) == list(schema.names(store)), store
        for column in schema.STORES[store]:
            if column.dtype is not None:
                assert columns[column.name].dtype == column.dtype, (store, column.name)
