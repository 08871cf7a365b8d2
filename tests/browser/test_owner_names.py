"""An owner's name on its device blocks is drawn only where the blocks are wide enough.

The talk theme's type on a projector is wide: at the whole width the small
file's blocks cannot hold its name, so the page leaves it to the tips; zoomed
in on those blocks, the name is drawn, inside them; back at the whole width it
goes again.  (The matrix in test_what_people_see checks every bundled page the
same way at its own zoom.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mapviz.render.html import standalone_html
from mapviz.scenario import load_scenario
from mapviz.view import Storyboard
from tests.browser.harness import chromium_path
from tests.browser.test_what_people_see import DRAWN, MODEL, PLAYER, _owners_on_their_blocks
from tests.render.test_images import OWNERS

pytestmark = pytest.mark.browser

RANGE = f"{MODEL}('mapviz-plot').x_range"
BIG, SMALL = "big-file", "small-file"


def _owners(page: Any) -> dict[str, Any]:
    seen: dict[str, Any] = page.evaluate(DRAWN)
    _owners_on_their_blocks(seen, "owners")
    return seen


def test_owner_names_follow_the_zoom(browser: Any, tmp_path: Path) -> None:
    if chromium_path() is None:
        pytest.skip("no Chromium")
    path = tmp_path / "owners.scenario"
    path.write_text(OWNERS, encoding="utf-8")
    view = Storyboard.from_scenario(load_scenario(path)).view()
    page_path = tmp_path / "owners.html"
    page_path.write_text(standalone_html(view, "talk", name="owners"), encoding="utf-8")
    small = max(
        (b for b in view.frames[-1].badges if b.kind == "owner" and b.text == SMALL),
        key=lambda b: b.room,
    )
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto((page_path).as_uri() + f"#step={len(view.frames) - 1}")
        page.wait_for_function(f"() => {PLAYER} !== undefined && {PLAYER}.state().settled")
        drawn = lambda: {o[0] for o in _owners(page)["owners"]}  # noqa: E731
        assert drawn() == {BIG}
        # Zoom to the small file's blocks (as the overview strip or Ctrl+wheel would).
        lo, hi = small.x - small.room, small.x + small.room
        page.evaluate(f"() => {RANGE}.setv({{start: {lo}, end: {hi}}})")
        page.wait_for_function(f"() => {MODEL}('mapviz-badges').data.text.includes({SMALL!r})")
        assert SMALL in drawn()
        page.evaluate(f"() => {RANGE}.setv({{start: {RANGE}.bounds[0], end: {RANGE}.bounds[1]}})")
        page.wait_for_function(f"() => !{MODEL}('mapviz-badges').data.text.includes({SMALL!r})")
        assert drawn() == {BIG}
        assert problems == []
    finally:
        context.close()
