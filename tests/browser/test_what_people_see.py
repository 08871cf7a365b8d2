"""Every bundled scenario, in every theme, at a projector's 1280x720 and at 1600x1000.

What a person would check by looking, asserted on the page itself: no console
errors; every glyph inside its own lane and every lane inside the plot; an
extent's connector inside the connector band, from its file range to its
blocks; the labels of an axis and the names of the lanes not running into
each other nor off the plot; the talk theme's text large enough for a room.
The page is stepped to its last frame and to the busiest one.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from mapviz.render.html import standalone_html
from mapviz.render.theme import THEMES, theme_named
from mapviz.scenario import bundled_names, load_scenario
from mapviz.view import Storyboard, View
from tests.browser.harness import chromium_path

pytestmark = pytest.mark.browser

PLAYER = "Bokeh.documents[0].get_model_by_name('mapviz-plot').__mapviz_player"
MODEL = "Bokeh.documents[0].get_model_by_name"
VIEWPORTS = {"projector": (1280, 720), "desktop": (1600, 1000)}
TALK_MIN_PX = 14

# Everything drawn, in page pixels and band units, read from the page's own models.
DRAWN = """() => {
  const doc = Bokeh.documents[0]
  const plot = doc.get_model_by_name('mapviz-plot')
  const view = Bokeh.index.find_one(plot)
  const xs = view.frame.x_scale, ys = view.frame.y_scale
  const frame = {left: view.frame.bbox.left, right: view.frame.bbox.right,
                 top: view.frame.bbox.top, bottom: view.frame.bbox.bottom}
  const canvas = document.createElement('canvas').getContext('2d')
  const width = (text, font) => { canvas.font = font; return canvas.measureText(text).width }
  const bands = doc.get_model_by_name('mapviz-bands').data
  const base = doc.get_model_by_name('mapviz-base').data
  const links = doc.get_model_by_name('mapviz-links').data
  const badges = doc.get_model_by_name('mapviz-badges').data
  const quads = []
  for (let i = 0; i < base.x0.length; i++) quads.push([base.band[i], base.y0[i], base.y1[i]])
  const shapes = []
  for (let i = 0; i < links.xs.length; i++) {
    shapes.push([links.kind[i], Array.from(links.ys[i]), Array.from(links.xs[i])])
  }
  const lanes = []
  for (const axis of plot.left) {
    const font = `${axis.major_label_text_font_style} ${axis.major_label_text_font_size} ` +
      axis.major_label_text_font
    const size = parseFloat(axis.major_label_text_font_size)
    for (const [tick, text] of axis.major_label_overrides) {
      if (!text) continue
      const right = view.frame.bbox.left - axis.major_label_standoff, w = width(String(text), font)
      lanes.push([String(text), right - w, right, ys.compute(Number(tick)), size])
    }
  }
  const axes = []
  for (const axis of [...plot.above, ...plot.below]) {
    if (!axis.ticker || !axis.ticker.ticks) continue
    const font = `${axis.major_label_text_font_style} ${axis.major_label_text_font_size} ` +
      axis.major_label_text_font
    const labels = axis.ticker.ticks.map((t) => {
      const o = axis.major_label_overrides
      const text = String(o.get(t) ?? o.get(String(t)) ?? t)
      const x = xs.compute(t), w = width(text, font)
      return [text, x - w / 2, x + w / 2]
    })
    axes.push({font: axis.major_label_text_font_size, labels})
  }
  const glyph = plot.renderers.find((r) => r.data_source === doc.get_model_by_name('mapviz-badges'))
  const size = glyph.glyph.text_font_size.value
  const font = `bold ${size} ${glyph.glyph.text_font.value}`
  const names = [], owners = []
  for (let i = 0; i < badges.text.length; i++) {
    const x = xs.compute(badges.x[i]), y = ys.compute(badges.y[i]), w = width(badges.text[i], font)
    const left = badges.align[i] === 'right' ? x - w : badges.align[i] === 'center' ? x - w / 2 : x
    names.push([badges.text[i], left, left + w, y, parseFloat(size), badges.baseline[i]])
    if (badges.align[i] !== 'center') continue
    // An owner's name on its blocks: the glyph under its middle.
    const under = []
    for (let q = 0; q < base.x0.length; q++) {
      if (base.x0[q] <= badges.x[i] && badges.x[i] <= base.x1[q] &&
          base.y0[q] <= badges.y[i] && badges.y[i] <= base.y1[q]) {
        under.push([xs.compute(base.x0[q]), xs.compute(base.x1[q])])
      }
    }
    owners.push([badges.text[i], left, left + w, under])
  }
  return {frame, y: [plot.y_range.start, plot.y_range.end], lanes,
          bands: {index: Array.from(bands.index), layer: bands.layer, y0: bands.y0, y1: bands.y1},
          quads, shapes, axes, names, owners}
}"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[Path, View]]:
    """Every bundled scenario exported in every theme, once."""
    directory = tmp_path_factory.mktemp("seen")
    out = {}
    for name in bundled_names():
        scenario = load_scenario(name)
        view = Storyboard.from_scenario(scenario).view()
        for theme in THEMES:
            path = directory / f"{name}-{theme}.html"
            path.write_text(
                standalone_html(view, theme, name=name, source_text=scenario.text), encoding="utf-8"
            )
            out[(name, theme)] = (path, view)
    return out


@pytest.fixture(scope="module")
def tabs(browser: Any) -> Iterator[dict[str, Any]]:
    """One page per viewport, reused for every scenario (a fresh context costs a second)."""
    if chromium_path() is None:
        pytest.skip("no Chromium")
    opened = {}
    for size, (width, height) in VIEWPORTS.items():
        context = browser.new_context(
            viewport={"width": width, "height": height}, reduced_motion="reduce"
        )
        page = context.new_page()
        page.problems = []  # type: ignore[attr-defined]
        page.on(
            "console", lambda m, p=page: p.problems.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e, p=page: p.problems.append(f"uncaught: {e}"))
        opened[size] = page
    yield opened
    for page in opened.values():
        page.context.close()


def _busiest(view: View) -> int:
    return max(range(len(view.frames)), key=lambda f: (len(view.frames[f].quads["x0"]), f))


@pytest.mark.parametrize("theme", sorted(THEMES))
@pytest.mark.parametrize("size", sorted(VIEWPORTS))
@pytest.mark.parametrize("name", bundled_names())
def test_what_a_person_sees(pages: Any, tabs: Any, name: str, theme: str, size: str) -> None:
    path, view = pages[(name, theme)]
    page = tabs[size]
    page.problems.clear()
    page.goto(path.as_uri())
    page.wait_for_function(f"() => {PLAYER} !== undefined && {PLAYER}.state().settled")
    for frame in sorted({_busiest(view), len(view.frames) - 1}):
        page.evaluate(f"() => {{ {MODEL}('mapviz-slider').value = {frame} }}")
        page.wait_for_function(
            f"() => {{ const s = {PLAYER}.state(); return s.settled && s.frame === {frame} }}"
        )
        seen = page.evaluate(DRAWN)
        where = f"{name} {theme} {size} frame {frame}"
        _inside_their_lanes(seen, where)
        _axes_readable(seen, where)
        _names_readable(seen, where)
        _owners_on_their_blocks(seen, where)
        if theme == "talk":
            assert all(float(a["font"].rstrip("px")) >= TALK_MIN_PX for a in seen["axes"]), where
            assert all(n[4] >= TALK_MIN_PX for n in seen["names"] + seen["lanes"]), where
    assert page.problems == [], page.problems


def _inside_their_lanes(seen: dict[str, Any], where: str) -> None:
    bands = seen["bands"]
    y0 = dict(zip(bands["index"], bands["y0"], strict=True))
    y1 = dict(zip(bands["index"], bands["y1"], strict=True))
    layer = dict(zip(bands["index"], bands["layer"], strict=True))
    low, high = seen["y"]
    assert low <= min(y0.values()) and max(y1.values()) <= high, f"{where}: a lane off the plot"
    for band, a, b in seen["quads"]:
        assert y0[band] - 1e-3 <= a <= b <= y1[band] + 1e-3, f"{where}: a glyph outside its lane"
    connector = [i for i, name in layer.items() if name == "connector"]
    for kind, ys, _ in seen["shapes"]:
        if kind == "extent":
            (band,) = connector
            assert all(y0[band] - 1e-3 <= y <= y1[band] + 1e-3 for y in ys), (
                f"{where}: an extent connector outside the connector band"
            )


def _axes_readable(seen: dict[str, Any], where: str) -> None:
    frame = seen["frame"]
    for axis in seen["axes"]:
        labels = sorted(axis["labels"], key=lambda label: label[1])
        for text, left, right in labels:
            # centred on their tick: may reach past the frame into the border, not off the page
            assert left >= 0 and right <= frame["right"] + 60, f"{where}: {text!r} cut off"
        for (t0, _, r0), (t1, l1, _) in pairwise(labels):
            assert r0 + 2 <= l1, f"{where}: axis labels {t0!r} and {t1!r} overlap"


def _names_readable(seen: dict[str, Any], where: str) -> None:
    """Lane names: on the page, one per lane that exists, none over another."""
    names = sorted(seen["lanes"], key=lambda n: n[3])
    assert names, f"{where}: no lane is named"
    for text, left, _, _, _ in names:
        assert left >= 0, f"{where}: the lane name {text!r} is cut off"
    for a, b in pairwise(names):
        assert a[3] + a[4] * 0.5 <= b[3] - b[4] * 0.5 + 1, (
            f"{where}: lane names {a[0]!r} and {b[0]!r} overlap"
        )
    flags = [n for n in seen["names"] if n[5] == "middle" and n[4]]
    for text, left, right, _, _, _ in flags:
        assert left >= seen["frame"]["left"] - 1 and right <= seen["frame"]["right"] + 1, (
            f"{where}: {text!r} runs off the plot"
        )


def _owners_on_their_blocks(seen: dict[str, Any], where: str) -> None:
    """An owner's name on the device lies within the glyph of the blocks it names."""
    for text, left, right, under in seen["owners"]:
        assert under, f"{where}: the owner name {text!r} is over no blocks"
        assert any(a - 1 <= left and right <= b + 1 for a, b in under), (
            f"{where}: the owner name {text!r} ({left:.0f}..{right:.0f} px) is wider than "
            f"its blocks {under}"
        )


def test_the_talk_theme_is_large() -> None:
    assert theme_named("talk").band_label_size >= TALK_MIN_PX
