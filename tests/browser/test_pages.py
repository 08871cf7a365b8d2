"""Every bundled scenario's exported page, in real headless Chromium.

For each scenario: it loads from file:// with no console errors, every glyph
of its busiest frame is drawn (the pixel under it is not the background),
one step with the keyboard and one with the button each land on the state
the trace says, and every ETXTBSY / SIGBUS step shows its ``why``.  Most
pages run with ``prefers-reduced-motion`` (the end state at once, which is
also what that setting promises); ``test_animation_*`` run with motion.
"""

from __future__ import annotations

import io
from itertools import pairwise
from typing import Any

import pytest
from PIL import Image

from mapviz.scenario import bundled_names
from mapviz.view import View
from mapviz.view.frames import STATES
from tests.browser.conftest import Exported

pytestmark = pytest.mark.browser

PLAYER = "Bokeh.documents[0].get_model_by_name('mapviz-plot').__mapviz_player"
MODEL = "Bokeh.documents[0].get_model_by_name"
VIEWPORT = {"width": 1280, "height": 1000}
BACKGROUND = (255, 255, 255)  # the light theme
SHOWN = ("ETXTBSY", "SIGBUS")

# Page pixels of every base glyph: [centre x, centre y, width, height, band].
GLYPH_BOXES = """() => {
  const plot = Bokeh.documents[0].get_model_by_name('mapviz-plot')
  const view = Bokeh.index.find_one(plot)
  const at = view.el.getBoundingClientRect()
  const xs = view.frame.x_scale, ys = view.frame.y_scale
  const d = Bokeh.documents[0].get_model_by_name('mapviz-base').data
  const out = []
  for (let i = 0; i < d.x0.length; i++) {
    const l = xs.compute(d.x0[i]), r = xs.compute(d.x1[i])
    const t = ys.compute(d.y1[i]), b = ys.compute(d.y0[i])
    out.push([at.left + (l + r) / 2, at.top + (t + b) / 2, r - l, b - t, d.band[i]])
  }
  return out
}"""


class Page:
    """A page of one exported scenario, with its console watched."""

    def __init__(self, browser: Any, url: str, *, motion: bool = False) -> None:
        self.context = browser.new_context(
            viewport=VIEWPORT, reduced_motion="no-preference" if motion else "reduce"
        )
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.fetched: list[str] = []  # anything but the file itself: an offline page asks none

        def offline(route: Any) -> None:
            if route.request.url.startswith(("file:", "data:", "blob:")):
                route.continue_()
            else:
                self.fetched.append(route.request.url)
                route.abort()

        self.context.route("**/*", offline)
        self.page = self.context.new_page()
        self.page.on(
            "console", lambda m: self.problems.append(m.text) if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)
        self.page.goto(url)
        self.page.wait_for_function(f"() => {PLAYER} !== undefined && {PLAYER}.state().settled")

    def close(self) -> None:
        self.context.close()

    def wait_frame(self, frame: int) -> None:
        self.page.wait_for_function(
            f"() => {{ const s = {PLAYER}.state(); return s.settled && s.frame === {frame} }}",
            timeout=15_000,
        )

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate(f"() => {PLAYER}.state()")
        return result

    def column(self, source: str, name: str) -> list[Any]:
        values: list[Any] = self.page.evaluate(
            f"() => Array.from({MODEL}('mapviz-{source}').data['{name}'])"
        )
        return values

    def seek(self, frame: int) -> None:
        self.page.evaluate(f"() => {{ {MODEL}('mapviz-slider').value = {frame} }}")
        self.wait_frame(frame)

    def text(self, name: str) -> str:
        value: str = self.page.evaluate(f"() => {MODEL}('mapviz-{name}').text")
        return value


@pytest.fixture
def opened(browser: Any) -> Any:
    pages: list[Page] = []

    def open_page(url: str, *, motion: bool = False) -> Page:
        page = Page(browser, url, motion=motion)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.close()


def assert_frame(page: Page, view: View, frame: int) -> None:
    """The drawn glyphs are the trace's: same states, same places, same count."""
    quads = view.frames[frame].quads
    states = page.column("base", "state")
    assert [STATES[s] for s in states] == [STATES[s] for s in quads["state"]], f"frame {frame}"
    assert page.column("base", "x0") == pytest.approx(quads["x0"]), f"frame {frame}"
    assert page.column("base", "band") == quads["band"], f"frame {frame}"
    assert page.page.evaluate(f"() => {MODEL}('mapviz-slider').value") == frame


def busiest(view: View) -> int:
    """The frame with glyphs in the most layers (the last such one)."""
    layers = {band.index: band.layer for band in view.layout.bands}
    return max(
        range(len(view.frames)),
        key=lambda f: (len({layers[b] for b in view.frames[f].quads["band"]}), f),
    )


@pytest.mark.parametrize("name", bundled_names())
def test_scenario_page(opened: Any, exported: dict[str, Exported], name: str) -> None:
    e = exported[name]
    page = opened(e.url)
    total = len(e.view.frames) - 1
    assert page.state() == {"frame": 0, "settled": True, "playing": False, "total": total}
    assert_frame(page, e.view, 0)

    # One step with the keyboard, one with the button.
    page.page.keyboard.press("ArrowRight")
    page.wait_frame(1)
    assert_frame(page, e.view, 1)
    if total >= 2:
        page.page.get_by_role("button", name="▶", exact=True).click()
        page.wait_frame(2)
        assert_frame(page, e.view, 2)

    # Every glyph of the busiest frame is drawn, in every layer it has.
    frame = busiest(e.view)
    page.seek(frame)
    assert_frame(page, e.view, frame)
    image = Image.open(io.BytesIO(page.page.screenshot())).convert("RGB")
    layers = {band.index: band.layer for band in e.view.layout.bands}
    drawn, expected = set(), set()
    for x, y, w, _, band in page.page.evaluate(GLYPH_BOXES):
        expected.add(layers[band])
        # The most different pixel across the glyph's middle row (a page of a large file
        # is a sliver two pixels wide, anti-aliased).
        row = range(round(x - w / 2), round(x + w / 2) + 1)
        difference = max(
            sum(
                abs(a - b)
                for a, b in zip(image.getpixel((column, round(y))), BACKGROUND, strict=True)
            )
            for column in row
        )
        assert difference > 12, f"{name}: glyph of band {band} at ({x:.0f}, {y:.0f}) is not drawn"
        drawn.add(layers[band])
    assert drawn == expected, f"{name}: layers drawn {drawn}, expected {expected}"

    # Refusals and signals say why.
    for f, shown in enumerate(e.view.frames):
        if shown.step is not None and shown.step.result in SHOWN:
            page.seek(f)
            why = shown.step.why or ""
            assert why and page.page.locator(".mv-why").first.inner_text().strip() == why
            assert page.page.locator(".mv-why").first.is_visible()
            assert shown.step.result in page.page.locator(".mv-cmd").first.inner_text()

    assert page.problems == [], page.problems
    assert page.dialogs == []
    assert page.fetched == [], page.fetched


def test_animation_plays_then_lands_on_the_trace(
    opened: Any, exported: dict[str, Exported]
) -> None:
    """With motion: a SIGBUS step animates on the overlay, then shows the trace's state."""
    e = exported["hole-sigbus"]
    sigbus = next(
        f
        for f, frame in enumerate(e.view.frames)
        if frame.step is not None and frame.step.result == "SIGBUS"
    )
    page = opened(e.url, motion=True)
    page.seek(sigbus - 1)
    page.page.keyboard.press("ArrowRight")
    page.page.wait_for_function(f"() => {MODEL}('mapviz-ovq').data.x0.length > 0")
    assert page.state()["settled"] is False  # caught mid-animation
    page.wait_frame(sigbus)
    assert_frame(page, e.view, sigbus)
    assert "SIGBUS" in page.column("ovt", "text")  # the strike leaves its label
    assert page.problems == []


def test_lease_break_counts_down(opened: Any, exported: dict[str, Exported]) -> None:
    e = exported["lease-break"]
    frame = next(
        f
        for f, fr in enumerate(e.view.frames)
        if any(a.kind == "lease_break" for a in fr.animations)
    )
    page = opened(e.url, motion=True)
    page.seek(frame - 1)
    page.page.keyboard.press("ArrowRight")
    page.page.wait_for_function(
        f"() => {MODEL}('mapviz-ovt').data.text.some((t) => t.includes(' s left'))"
    )
    page.wait_frame(frame)
    assert "REVOKED" in page.column("ovt", "text")
    assert page.problems == []


def test_play_and_pause(opened: Any, exported: dict[str, Exported]) -> None:
    e = exported["tour"]
    page = opened(e.url)
    page.page.get_by_role("button", name="4\u00d7").click()  # the 4x speed
    page.page.keyboard.press("Space")
    page.page.wait_for_function(f"() => {PLAYER}.state().frame >= 2", timeout=15_000)
    assert page.state()["playing"] is True
    page.page.get_by_role("button", name="▮▮ Pause").click()
    assert page.state()["playing"] is False
    page.page.keyboard.press("End")
    page.wait_frame(len(e.view.frames) - 1)
    page.page.keyboard.press("Home")
    page.wait_frame(0)
    page.page.keyboard.press("ArrowLeft")  # already at the start: stays
    page.wait_frame(0)
    assert page.problems == []


def test_hover_lights_up_counterparts(opened: Any, exported: dict[str, Exported]) -> None:
    """Hovering a device block outlines its file extent and page-cache frames too."""
    e = exported["tour"]
    page = opened(e.url)
    last = len(e.view.frames) - 1
    page.seek(last)
    device = next(b.index for b in e.view.layout.bands if b.layer == "device")
    boxes = page.page.evaluate(GLYPH_BOXES)
    quads = e.view.frames[last].quads
    written = STATES.index("written")
    target = next(
        i
        for i, box in enumerate(boxes)
        if box[4] == device and quads["state"][i] == written and box[2] > 10
    )
    x, y = boxes[target][0], boxes[target][1]
    page.page.mouse.move(x - 3, y)
    page.page.mouse.move(x, y)
    page.page.wait_for_function(f"() => {MODEL}('mapviz-hlq').data.x0.length >= 2")
    lit = page.page.evaluate(f"""() => {{
        const h = {MODEL}('mapviz-hlq').data
        return Array.from(h.y0)
    }}""")
    bands = {b.index: b for b in e.view.layout.bands}
    layers = {bands[b].layer for b in bands if any(abs(y0 - bands[b].y0) < 1e-6 for y0 in lit)}
    assert {"device", "file"} <= layers, layers
    page.page.mouse.move(5, 5)  # off the plot: the highlight goes
    page.page.wait_for_function(f"() => {MODEL}('mapviz-hlq').data.x0.length === 0")


def test_hostile_text_is_shown_not_run(opened: Any, tmp_path: Any) -> None:
    from mapviz.cli import main

    source = tmp_path / "hostile.scenario"
    source.write_text(
        '%title <img src=x onerror="window.__pwned=1"> </script><script>window.__pwned=2'
        "</script>\n%kernel mainline\n%note <script>alert(1)</script>\nopen -f data\n"
        '%note <img src=x onerror="window.__pwned=3">\npwrite 0 4k\n',
        encoding="utf-8",
    )
    out = tmp_path / "hostile.html"
    assert main(["export", str(source), "-o", str(out)]) == 0
    page = opened(out.as_uri())
    page.page.keyboard.press("ArrowRight")
    page.wait_frame(1)
    assert "<script>alert(1)</script>" in page.page.locator(".mv-note").first.inner_text()
    page.page.keyboard.press("ArrowRight")
    page.wait_frame(2)
    assert (
        '<img src=x onerror="window.__pwned=3">' in page.page.locator(".mv-note").first.inner_text()
    )
    assert "<img src=x" in page.page.locator(".mv-title").first.inner_text()
    assert page.page.evaluate("() => window.__pwned") is None
    assert page.dialogs == []
    assert page.problems == []


@pytest.mark.parametrize("theme", ["dark", "talk"])
def test_other_themes_load(opened: Any, tmp_path: Any, theme: str) -> None:
    from mapviz.cli import main

    out = tmp_path / f"{theme}.html"
    assert main(["export", "pinned-block-map", "-o", str(out), "--theme", theme]) == 0
    page = opened(out.as_uri())
    page.page.keyboard.press("End")
    page.page.wait_for_function(f"() => {PLAYER}.state().frame > 0")
    assert page.problems == []


def test_a_citation_opens_its_section(opened: Any, tmp_path: Any) -> None:
    """A ``§2.2`` in a why is a link; clicking it shows docs/kernel-semantics.md's §2.2 in place."""
    from mapviz.citations import section_text
    from mapviz.cli import main

    source = tmp_path / "cited.scenario"
    source.write_text(
        "%kernel map-direct-v5\n%fs xfs dax\nopen -f data\npwrite 0 64k\nfsync\n"
        "mmap -D 0 64k\n"
        '%note <img src=x onerror="window.__pwned=1"> the seal refuses it (§2.2)\n'
        "fpunch 0 4k\n%expect ETXTBSY\n",
        encoding="utf-8",
    )
    out = tmp_path / "cited.html"
    assert main(["export", str(source), "-o", str(out)]) == 0
    page = opened(out.as_uri())
    page.seek(5)
    narration = page.page.locator(".mv-why")
    assert "ETXTBSY" in page.page.locator(".mv-cmd").first.inner_text()
    link = narration.locator("details.mv-cite > summary").first
    assert link.inner_text() == "§2.2"
    section = narration.locator(".mv-section").first
    assert not section.is_visible()
    link.click()
    section.wait_for(state="visible")
    shown = section.inner_text()
    assert shown.startswith("kernel-semantics.md §" + section_text("kernel-semantics", "2.2").title)
    assert "ETXTBSY" in shown
    # the note's citation is a link too, and its hostile text stays text
    note = page.page.locator(".mv-note").first
    assert note.locator("details.mv-cite > summary").first.inner_text() == "§2.2"
    assert '<img src=x onerror="window.__pwned=1">' in note.inner_text()
    page.page.screenshot(path=str(tmp_path / "citation-open.png"))
    assert page.page.evaluate("() => window.__pwned") is None
    assert page.problems == []


def test_a_removed_view_lets_go_of_the_page(opened: Any, exported: dict[str, Exported]) -> None:
    """A notebook cell run again drops its old view: the old player must not take the keys."""
    page = opened(exported["tour"].url)
    page.page.keyboard.press("ArrowRight")
    page.wait_frame(1)
    gone = page.page.evaluate(
        "() => { [...Bokeh.index.roots].forEach((root) => root.remove());"
        f" return {MODEL}('mapviz-plot') && Bokeh.index.find_one({MODEL}('mapviz-plot')) == null }}"
    )
    assert gone
    page.page.keyboard.press("ArrowRight")
    page.page.keyboard.press("End")
    assert page.page.evaluate(f"() => [{PLAYER}.state().frame, {PLAYER}.detached]") == [1, True]
    assert page.problems == []


ZOOM = """([start, end]) => {
  Bokeh.documents[0].get_model_by_name('mapviz-plot').x_range.setv({start, end})
}"""

# The relabelling runs after the range changed (CustomJS is asynchronous): wait for it.
RELABELLED = """([start, end]) => {
  const plot = Bokeh.documents[0].get_model_by_name('mapviz-plot')
  return [...plot.above, ...plot.below].every((axis) => !axis.major_label_overrides ||
    axis.ticker.ticks.every((t) => t >= Math.max(start, 0) - 1e-6 && t <= end + 1e-6))
}"""

WHOLE_AGAIN = """() => {
  const plot = Bokeh.documents[0].get_model_by_name('mapviz-plot')
  const relabel = plot.x_range.js_property_callbacks['change:start'][0]
  const full = relabel.args.get ? relabel.args.get('full') : relabel.args.full
  const axis = plot.above.find((a) => a.major_label_overrides)
  return JSON.stringify(axis.ticker.ticks) === JSON.stringify(full.offsets.map((p) => p[0]))
}"""

ZOOMED_AXES = """() => {
  const doc = Bokeh.documents[0]
  const plot = doc.get_model_by_name('mapviz-plot')
  const view = Bokeh.index.find_one(plot)
  const canvas = document.createElement('canvas').getContext('2d')
  const out = {overview: doc.get_model_by_name('mapviz-overview').visible}
  for (const axis of [...plot.above, ...plot.below]) {
    if (!axis.major_label_overrides) continue
    canvas.font = `${axis.major_label_text_font_size} ${axis.major_label_text_font}`
    out[axis.axis_label] = axis.ticker.ticks.map((t) => {
      const text = axis.major_label_overrides.get(t), x = view.frame.x_scale.compute(t)
      const w = canvas.measureText(text).width
      return [t, text, x - w / 2, x + w / 2]
    })
  }
  return out
}"""


def _bytes(label: str) -> int:
    number, _, unit = label.partition(" ")
    scale = {"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
    return round(float(number) * scale[unit])


def test_a_big_file_zooms_with_exact_axes(opened: Any, tmp_path: Any) -> None:
    """An overview strip, and zoomed axes labelled exactly, in order, never overlapping."""
    from mapviz.cli import main

    source = tmp_path / "big.scenario"
    lines = [f"%extent {8 * n}k 4k {4096 + 8 * n}k" for n in range(3000)]
    source.write_text(
        "%kernel mainline\n%fs xfs size=1g\nopen -f big\ntruncate 24000k\n"
        + "\n".join(lines)
        + "\nmmap 0 64k\n",
        encoding="utf-8",
    )
    out = tmp_path / "big.html"
    assert main(["export", str(source), "-o", str(out)]) == 0
    page = opened(out.as_uri())
    page.page.keyboard.press("End")
    page.page.wait_for_function(f"() => {PLAYER}.state().frame > 0")
    span = 24000 * 1024  # the file axis: x 1000 is the end of the file
    for start, end in ((0.0, 1000.0), (100.0, 110.0), (500.0, 500.5)):
        page.page.evaluate(ZOOM, [start, end])
        page.page.wait_for_function(RELABELLED, arg=[start, end], timeout=10_000)
        axes = page.page.evaluate(ZOOMED_AXES)
        assert axes["overview"] is True
        offsets = axes["file offset"]
        assert len(offsets) >= 3, (start, end, offsets)
        for tick, text, _, _ in offsets:
            assert start - 1e-6 <= tick <= end + 1e-6
            assert _bytes(text) == pytest.approx(tick / 1000 * span, abs=0.5), text
        if start > 0:  # zoomed: one unit along the axis ("0" has none)
            assert len({text.partition(" ")[2] for _, text, _, _ in offsets if text != "0"}) == 1
        for labels in (offsets, axes["device block"]):
            assert [t for t, *_ in labels] == sorted(t for t, *_ in labels)
            for (_, _, _, right), (_, _, left, _) in pairwise(labels):
                assert right <= left, labels
    page.page.evaluate(ZOOM, [-6, 1006])  # the whole width again: Python's own ticks
    page.page.wait_for_function(WHOLE_AGAIN, timeout=10_000)
    assert page.problems == []


def test_a_small_file_has_no_overview(opened: Any, exported: dict[str, Exported]) -> None:
    page = opened(exported["hole-sigbus"].url)
    visible = page.page.evaluate(
        "() => Bokeh.documents[0].get_model_by_name('mapviz-overview').visible"
    )
    assert visible is False
