"""The widget's GUI-free parts: the session, the quiz, the state in words."""

from __future__ import annotations

import importlib
import re

import pytest

from mapviz.frontends.quiz import Quiz
from mapviz.frontends.session import Session
from mapviz.scenario import FsConfig, load_scenario
from tests.codebase.test_layering import FORBIDDEN, _imported_by


@pytest.mark.parametrize(
    "module",
    [
        "mapviz.frontends.session",
        "mapviz.frontends.quiz",
        "mapviz.frontends.describe",
        "mapviz.frontends.stepper",
    ],
)
def test_no_gui_stack(module: str) -> None:
    leaked = sorted(m for m in _imported_by(module) if m.split(".")[0] in FORBIDDEN)
    assert not leaked, f"{module} imports {leaked}"


def test_typed_lines_are_numbered_after_the_scenario() -> None:
    scenario = load_scenario("tour")
    run = Session(scenario)
    step = run.run("fsync")
    assert step is not None and step.line == scenario.text.count("\n") + 2
    assert run.run("   # a comment") is None and run.next_line == step.line + 1


def test_switch_keeps_the_typed_lines_and_the_steps_aligned() -> None:
    run = Session.live("map-direct-v5", FsConfig(dax=True))
    for line in ("open -f data", "truncate 128k", "mmap -D 0 128k", "mwrite 64k 4k"):
        run.run(line)
    assert [s.result for s in run.steps] == ["ok", "ok", "ok", "SIGBUS"]
    switch = run.switch("mainline")
    assert [s.result for s in run.steps] == ["ok", "ok", "ok", "ok"]
    assert switch.differing == (4,) and (switch.before, switch.after) == (
        "map-direct-v5",
        "mainline",
    )
    assert run.switch("mainline").differing == ()  # the same model: nothing changes


def test_quiz_reveals_directive_steps_without_asking() -> None:
    scenario = load_scenario("lease-release-in-time")
    steps = Session(scenario).steps
    sleeps = [i for i, s in enumerate(steps, start=1) if not s.is_command]
    assert sleeps, "lease-release-in-time has a %sleep step"
    game = Quiz()
    while game.revealed < len(steps):
        asked = game.ask(steps, game.revealed + 1)
        assert asked is not None and asked not in sleeps
        game.answer(steps, steps[asked - 1].result)
    assert game.score == (len(steps) - len(sleeps), len(steps) - len(sleeps))


def test_lazy_widget_import_keeps_the_package_light() -> None:
    mapviz = importlib.import_module("mapviz")
    assert "MapViz" in (mapviz.__getattr__.__doc__ or "")
    leaked = sorted(m for m in _imported_by("mapviz") if m.split(".")[0] in FORBIDDEN)
    assert not leaked


RAW_BYTES = re.compile(r"(?<![\w.#/§-])\d{4,}(?! *(?:B|KiB|MiB|GiB|TiB)\b)(?![\w.])")
"""A count of four digits or more with no unit: "262144", not "256 KiB" (nor "1000 B")."""
NOT_SIZES = re.compile(
    r"blocks? \d+(?:\.\.\d+)?|frames? \d+(?:\.\.\d+)?|uid \d+|mode \d+|0x[0-9a-f]+"
)


@pytest.mark.parametrize(
    ("name", "kernel"),
    [
        ("tour", None),
        ("etxtbsy-outside-range", None),
        ("pinned-block-map", None),
        ("swapfile-pinned", None),
        ("lease-break", None),
        ("map-sync-dax", None),
        ("hole-sigbus", "map-direct-lease"),
        ("block-map-states", None),
    ],
)
def test_what_a_learner_reads_gives_sizes_in_units(name: str, kernel: str | None) -> None:
    # "truncate would change the size of data from 262144 to 131072": the widget's
    # narration, event log and answers show these words.
    session = Session(load_scenario(name), kernel)
    texts = [
        text
        for step in session.steps
        for text in (step.why, *(event.why for event in step.events))
        if text
    ]
    raw = sorted({text for text in texts if RAW_BYTES.search(NOT_SIZES.sub("", text))})
    assert not raw, raw
