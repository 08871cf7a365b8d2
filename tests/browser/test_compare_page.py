"""The comparison page in real Chromium: a grid of models, one control for all of them.

``mapviz compare pinned-block-map --html`` (all four models) is made once per
session in each theme.  Checked here: the four cells stand two by two and the
grid stays within about two screens; the page's one control bar, its keys, its
slider, the URL fragment and a click on a table row each move every cell to
the same step (each cell's own slider and narration say so); the page's
address follows the step; the console stays clean.  Screenshots of every
theme at both sizes go to ``artifacts/compare/`` (``$MAPVIZ_ARTIFACTS``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapviz.cli import main
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

SCENARIO = "pinned-block-map"  # 16 steps; line 22, step 6, is v5's refused punch
MODELS = ("mainline", "map-direct-v5", "map-direct-lease", "map-sync")
SIZES = ({"width": 1280, "height": 720}, {"width": 1600, "height": 1000})
ARTIFACTS = Path(os.environ.get("MAPVIZ_ARTIFACTS", ROOT / "artifacts")) / "compare"

MODEL = "Bokeh.documents[0].get_model_by_name"
CONTROL = f"{MODEL}('mapviz-compare-slider').__mapviz_compare"
# Every cell's player state, its own (hidden) slider and its narration's step line.
CELLS = """() => {
  const doc = Bokeh.documents[0]
  return ["mainline", "map-direct-v5", "map-direct-lease", "map-sync"].map((model) => {
    const cell = doc.get_model_by_name("mapviz-cell-" + model)
    const [, narration, plot] = cell.children
    const player = plot.__mapviz_player
    const get = (dict, key) => dict instanceof Map ? dict.get(key) : dict[key]
    // The cell's own slider, not on the page: its player's CustomJS names it.
    const own = [...doc.all_models].find((m) => m.type === "CustomJS" && get(m.args, "m") &&
                                               get(get(m.args, "m"), "plot") === plot)
    const slider = get(get(own.args, "m"), "slider")
    const view = Bokeh.index.find_one(narration)
    const stepno = view.el.shadowRoot.querySelector(".mv-stepno")
    return {frame: player.state().frame, settled: player.state().settled,
            slider: slider === undefined ? null : slider.value,
            stepno: stepno === null ? "" : stepno.textContent}
  })
}"""
# Page boxes (document coordinates) of named models.
BOX = """(name) => {
  const view = Bokeh.index.find_one(Bokeh.documents[0].get_model_by_name(name))
  const r = view.el.getBoundingClientRect()
  return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}
}"""
ROWS = f"""() => [...Bokeh.index.find_one({MODEL}('mapviz-compare-table')).el.shadowRoot
  .querySelectorAll("tr.mv-now")].map((tr) => Number(tr.dataset.frame))"""


@pytest.fixture(scope="session")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The comparison page of every model, in each theme."""
    directory = tmp_path_factory.mktemp("compare")
    out = {}
    for theme in ("light", "dark", "talk"):
        path = directory / f"{SCENARIO}-{theme}.html"
        assert main(["compare", SCENARIO, "--theme", theme, "--html", str(path)]) == 0
        out[theme] = path
    return out


class Page:
    """One comparison page open in Chromium, its console watched."""

    def __init__(self, browser: Any, url: str, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport, reduced_motion="reduce")
        self.problems: list[str] = []
        self.page = self.context.new_page()
        self.page.on(
            "console", lambda m: self.problems.append(m.text) if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        self.page.goto(url)
        self.page.wait_for_function(
            f"() => window.Bokeh && Bokeh.documents.length > 0 && {CONTROL} !== undefined"
        )
        self.settled()

    def step(self) -> int:
        frame: int = self.page.evaluate(f"() => {CONTROL}.state().frame")
        return frame

    def cells(self) -> list[dict[str, Any]]:
        cells: list[dict[str, Any]] = self.page.evaluate(CELLS)
        return cells

    def settled(self) -> None:
        self.page.wait_for_function(f"() => ({CELLS})().every((c) => c.settled)")

    def expect_all_at(self, frame: int) -> None:
        """Every cell, its slider, its narration, the bar and the address: step ``frame``."""
        self.page.wait_for_function(
            f"() => {CONTROL}.state().frame === {frame} && "
            f"({CELLS})().every((c) => c.frame === {frame} && c.settled)",
            timeout=10_000,
        )
        cells = self.cells()
        assert [c["slider"] for c in cells] == [frame] * len(MODELS), cells
        words = f"Step {frame} of 16" if frame else "Start · 16 steps"
        assert all(c["stepno"].startswith(words) for c in cells), cells
        assert self.page.evaluate(f"() => {MODEL}('mapviz-compare-slider').value") == frame
        status = self.page.evaluate(f"() => {MODEL}('mapviz-compare-status').text")
        assert words in status

    def box(self, name: str) -> dict[str, float]:
        box: dict[str, float] = self.page.evaluate(BOX, name)
        return box

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened(browser: Any) -> Iterator[list[Page]]:
    """Pages opened by a test, closed after it; none may have logged an error."""
    opened: list[Page] = []
    yield opened
    try:
        for page in opened:
            assert page.problems == [], page.problems
    finally:
        for page in opened:
            page.close()


def open_page(
    browser: Any,
    opened: list[Page],
    path: Path,
    fragment: str = "",
    viewport: dict[str, int] = SIZES[0],
) -> Page:
    page = Page(browser, path.as_uri() + fragment, viewport)
    opened.append(page)
    return page


@pytest.mark.parametrize("viewport", SIZES, ids=lambda v: f"{v['width']}x{v['height']}")
def test_the_models_stand_side_by_side(
    browser: Any, opened: list[Page], pages: dict[str, Path], viewport: dict[str, int]
) -> None:
    page = open_page(browser, opened, pages["light"], "#step=6", viewport)
    boxes = {model: page.box(f"mapviz-cell-{model}") for model in MODELS}
    # Two by two, in the models' order: equal widths, no overlap, both columns used.
    top = (boxes["mainline"], boxes["map-direct-v5"])
    bottom = (boxes["map-direct-lease"], boxes["map-sync"])
    for left, right in (top, bottom):
        assert abs(left["y"] - right["y"]) < 2
        assert left["x"] + left["width"] <= right["x"]
        assert abs(left["width"] - right["width"]) < 2
        assert left["width"] > viewport["width"] * 0.4
    assert abs(top[0]["x"] - bottom[0]["x"]) < 2 and abs(top[1]["x"] - bottom[1]["x"]) < 2
    assert max(b["y"] + b["height"] for b in top) <= min(b["y"] for b in bottom)
    grid = page.box("mapviz-compare-grid")
    assert grid["height"] <= 2 * viewport["height"], grid
    # Nothing sticks out sideways: no horizontal scrolling.
    width = page.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], width
    # The table sits above the grid; the control bar above both.
    assert page.box("mapviz-compare-bar")["y"] < page.box("mapviz-compare-table")["y"] < grid["y"]


def test_one_control_steps_every_cell(
    browser: Any, opened: list[Page], pages: dict[str, Path]
) -> None:
    page = open_page(browser, opened, pages["light"])
    page.expect_all_at(0)
    assert "#" not in page.page.url  # opening the page leaves its address alone
    page.page.locator('[aria-label="step forward (→)"]').click()
    page.expect_all_at(1)
    page.page.keyboard.press("ArrowRight")
    page.expect_all_at(2)
    page.page.keyboard.press("End")
    page.expect_all_at(16)
    page.page.keyboard.press("ArrowLeft")
    page.expect_all_at(15)
    page.page.locator('[aria-label="first step (Home)"]').click()
    page.expect_all_at(0)
    page.page.evaluate(f"() => {{ {MODEL}('mapviz-compare-slider').value = 6 }}")
    page.expect_all_at(6)
    assert page.page.url.endswith("#step=6")
    # Each cell tells its own model's ending of the same step.
    results = page.page.evaluate("""() => ["mainline", "map-direct-v5", "map-direct-lease",
        "map-sync"].map((model) => {
      const narration = Bokeh.documents[0].get_model_by_name("mapviz-cell-" + model).children[1]
      return Bokeh.index.find_one(narration).el.shadowRoot.querySelector(".mv-res").textContent
    })""")
    assert results == ["ok", "ETXTBSY", "ok", "ok"]
    # Playing steps them all together, and Space pauses them.
    page.page.keyboard.press(" ")
    page.page.wait_for_function(f"() => {CONTROL}.state().frame >= 8", timeout=15_000)
    page.page.keyboard.press(" ")
    assert not page.page.evaluate(f"() => {CONTROL}.state().playing")
    page.expect_all_at(page.step())


@pytest.mark.parametrize(
    ("fragment", "frame"),
    [("#step=3", 3), ("#step=end", 16), ("#step=99", 16), ("#play&step=2", 2)],
)
def test_the_address_opens_every_cell_at_its_step(
    browser: Any, opened: list[Page], pages: dict[str, Path], fragment: str, frame: int
) -> None:
    page = open_page(browser, opened, pages["light"], fragment)
    if fragment.startswith("#play"):
        page.page.wait_for_function(f"() => {CONTROL}.state().frame > {frame}", timeout=15_000)
        page.page.keyboard.press(" ")
        page.expect_all_at(page.step())
        return
    page.expect_all_at(frame)
    assert page.page.evaluate(ROWS) == [frame]
    # Changing the fragment by hand moves the page too.
    page.page.evaluate("() => { window.location.hash = 'step=5' }")
    page.expect_all_at(5)


def test_a_table_row_seeks_the_grid(
    browser: Any, opened: list[Page], pages: dict[str, Path]
) -> None:
    page = open_page(browser, opened, pages["light"], "#step=1")
    row = page.page.locator('tr[data-frame="7"]')
    assert "fcollapse 64k 64k" in row.inner_text()
    # The row tells each model's story: the lease model's punch (step 6) waited and revoked.
    punch = page.page.locator('tr[data-frame="6"]').inner_text()
    assert "ok after 45 s · mapping revoked" in punch and "ETXTBSY" in punch
    row.click()
    page.expect_all_at(7)
    assert page.page.evaluate(ROWS) == [7]
    assert page.page.url.endswith("#step=7")
    # Keyboard: a focused row goes there with Enter.
    page.page.locator('tr[data-frame="3"]').focus()
    page.page.keyboard.press("Enter")
    page.expect_all_at(3)
    assert page.page.evaluate(ROWS) == [3]


@pytest.mark.parametrize("theme", ["light", "dark", "talk"])
@pytest.mark.parametrize("viewport", SIZES, ids=lambda v: f"{v['width']}x{v['height']}")
def test_screenshots(
    browser: Any, opened: list[Page], pages: dict[str, Path], theme: str, viewport: dict[str, int]
) -> None:
    page = open_page(browser, opened, pages[theme], "#step=6", viewport)
    page.expect_all_at(6)
    width = page.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{theme} at {viewport}: {width} px wide"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = f"{SCENARIO}-{theme}-{viewport['width']}x{viewport['height']}.png"
    page.page.screenshot(path=str(ARTIFACTS / name), full_page=True)
