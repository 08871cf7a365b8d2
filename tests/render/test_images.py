"""Slides as SVG and PNG files: one per frame, valid, escaped, drawn (mapviz.render.images)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from mapviz.render import drawing, images, typeset
from mapviz.render.images import write_pngs, write_svgs
from mapviz.render.slide import plan_slides
from mapviz.render.theme import OKABE_ITO, THEMES
from mapviz.scenario import bundled_names, load_scenario
from mapviz.view import Storyboard, View

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert(1)</script> & "q"'


def _view(name: str) -> View:
    return Storyboard.from_scenario(load_scenario(name)).view()


@pytest.fixture(scope="module")
def pinned() -> View:
    return _view("pinned-block-map")


def _refused(view: View) -> int:
    return next(f.index for f in view.frames if f.step and f.step.result == "ETXTBSY")


def _svg_text(path: Path) -> str:
    """Every text element's words, joined by single spaces (wrapped lines rejoined)."""
    root = ET.parse(path).getroot()
    return " ".join(" ".join(t.itertext()).strip() for t in root.iter(f"{SVG}text"))


@pytest.mark.parametrize("name", ["hole-sigbus", "block-map-states", "lease-break"])
def test_one_valid_self_contained_svg_per_frame(name: str, tmp_path: Path) -> None:
    view = _view(name)
    paths = write_svgs(view, tmp_path / "out", theme="dark")
    assert [p.name for p in paths] == [f"step-{i:03d}.svg" for i in range(len(view.frames))]
    assert sorted(tmp_path.joinpath("out").iterdir()) == paths
    for path in paths:
        root = ET.parse(path).getroot()
        assert root.tag == f"{SVG}svg"
        text = path.read_text(encoding="utf-8")
        # Self-contained: no script, no raster or font pulled in, every reference internal.
        assert not re.search(r"<script|<image|<foreignObject|@import|@font-face", text)
        assert re.findall(r"https?://[^\"']+", text) == ["http://www.w3.org/2000/svg"]
        assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", text))


def test_svg_shows_title_kernel_command_and_why_of_a_refused_step(
    pinned: View, tmp_path: Path
) -> None:
    index = _refused(pinned)
    step = pinned.frames[index].step
    assert step is not None and step.why and step.note
    words = _svg_text(write_svgs(pinned, tmp_path)[index])
    for expected in (
        pinned.kernel,
        f"app$ {step.command}",
        "ETXTBSY · Text file busy",
        f"Why: {step.why}",
        step.note,
        "app 0x7f0000000000",  # the mapping's lane, by its owner and address
        "data",
        "device",
        "refused (ETXTBSY)",
        "sealed by MAP_DIRECT (v5)",
        "blocks of data",
    ):
        assert expected in words
    assert pinned.title.split()[0] in words


def test_hostile_note_is_escaped_never_markup(tmp_path: Path) -> None:
    source = tmp_path / "hostile.scenario"
    source.write_text(
        f"%title T & <b>\n%note {HOSTILE}\nopen -f f\npwrite 0 4k\n", encoding="utf-8"
    )
    view = Storyboard.from_scenario(load_scenario(str(source))).view()
    paths = write_svgs(view, tmp_path / "svg")
    text = paths[1].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in text
    assert "<script" not in text and "<b>" not in text
    root = ET.parse(paths[1]).getroot()
    assert root.find(f".//{SVG}script") is None
    assert HOSTILE in _svg_text(paths[1])  # parsed back, it is the author's text


def test_pngs_decode_at_the_requested_width(pinned: View, tmp_path: Path) -> None:
    paths = write_pngs(pinned, tmp_path, theme="talk", width=800)
    assert [p.name for p in paths] == [f"step-{i:03d}.png" for i in range(len(pinned.frames))]
    plan = plan_slides(pinned, "talk")
    for path in paths[:3]:
        with Image.open(path) as image:
            image.load()
            assert image.format == "PNG"
            assert image.size == (800, round(plan.height * 800 / 1600))


def _band_box(view: View, theme: str, layer: str, width: int) -> tuple[int, int, int, int]:
    plan = plan_slides(view, theme)
    band = next(b for b in view.layout.bands if b.layer == layer)
    g, k = plan.geometry, width / 1600
    return (
        round(g.left * k) + 2,
        round(g.y(band.y1) * k) + 2,
        round(g.right * k) - 2,
        round(g.y(band.y0) * k) - 2,
    )


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_png_band_region_is_drawn(pinned: View, theme: str, tmp_path: Path) -> None:
    # After `pwrite 0 256k` the file band is written blocks from edge to edge.
    path = write_pngs(pinned, tmp_path, theme=theme, width=640)[2]
    background = THEMES[theme].background
    with Image.open(path) as image:
        region = image.convert("RGB").crop(_band_box(pinned, theme, "file", 640))
        colours = region.getcolors(1 << 20)
    assert colours is not None
    bg = drawing.rgb(background)
    painted = sum(n for n, c in colours if c != bg)
    assert painted > 0.9 * region.width * region.height


def _vermillion_pixels(path: Path) -> int:
    target = drawing.rgb(OKABE_ITO["vermillion"])
    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(1 << 20)
    assert colours is not None
    return sum(
        n
        for n, c in colours
        if isinstance(c, tuple) and all(abs(a - b) <= 24 for a, b in zip(c, target, strict=True))
    )


def test_png_of_a_refused_step_shows_vermillion(pinned: View, tmp_path: Path) -> None:
    index = _refused(pinned)
    paths = write_pngs(pinned, tmp_path, width=800)
    assert _vermillion_pixels(paths[3]) == 0  # fsync: nothing refused, nothing dirty
    assert _vermillion_pixels(paths[index]) > 500  # the badge, the outline and its tag


def test_talk_theme_sets_larger_type(pinned: View) -> None:
    assert plan_slides(pinned, "talk").style.body > 1.3 * plan_slides(pinned, "light").style.body


@pytest.mark.parametrize("name", bundled_names())
def test_no_text_is_cut_off_or_overlaps(name: str) -> None:
    # Every slide of every bundled scenario, in every theme: each line of text lies on
    # the canvas and crosses no other (layout only: no pixels, so this is quick).
    view = _view(name)
    for theme in THEMES:
        for d in images.drawings(view, theme):
            boxes: list[tuple[float, float, float, float]] = []
            for shape in d.shapes:
                if not isinstance(shape, drawing.Text):
                    continue
                width = typeset.text_width(shape.text, shape.size, bold=shape.bold, mono=shape.mono)
                left = {"start": shape.x, "middle": shape.x - width / 2, "end": shape.x - width}[
                    shape.anchor
                ]
                assert left >= 0 and left + width <= d.width + 0.5, (theme, shape)
                assert shape.size <= shape.y <= d.height, (theme, shape)
                box = (left, shape.y - shape.size * 0.8, left + width, shape.y + shape.size * 0.2)
                for x0, y0, x1, y1 in boxes:
                    overlap = (
                        box[0] < x1 - 1 and x0 < box[2] - 1 and box[1] < y1 - 1 and y0 < box[3] - 1
                    )
                    assert not overlap, (theme, shape)
                boxes.append(box)


def test_bad_width_or_theme_is_refused(pinned: View, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="16 pixels"):
        write_pngs(pinned, tmp_path, width=0)
    with pytest.raises(ValueError, match="try: light, dark, talk"):
        write_svgs(pinned, tmp_path, theme="beamer")


def test_png_without_system_fonts_uses_pillows_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A machine without DejaVu, Arial or Liberation: Pillow's font, symbols spelled out.
    from mapviz.render import png

    monkeypatch.setattr(png, "FONTS", {key: ("no-such-font.ttf",) for key in png.FONTS})
    png._font.cache_clear()
    try:
        view = _view("hole-sigbus")
        paths = write_pngs(view, tmp_path, width=480)
        with Image.open(paths[-1]) as image:
            assert image.width == 480
    finally:
        png._font.cache_clear()


OWNERS = """\
%fs xfs
open -f big-file
pwrite 0 4m
fsync
open -f small-file
pwrite 0 1m
fsync
"""


def _owner_texts(d: drawing.Drawing, names: set[str]) -> list[drawing.Text]:
    return [s for s in d.shapes if isinstance(s, drawing.Text) and s.text in names]


def test_an_owner_name_is_drawn_only_on_blocks_wide_enough_for_it(tmp_path: Path) -> None:
    # The small file's blocks are a tenth of the device's width: too narrow for its
    # name in the talk theme's type, wide enough in the light theme's.
    path = tmp_path / "owners.scenario"
    path.write_text(OWNERS, encoding="utf-8")
    view = Storyboard.from_scenario(load_scenario(path)).view()
    last = view.frames[-1]
    offered = {b.text for b in last.badges if b.kind == "owner"}
    assert offered == {"big-file", "small-file"}
    drawn = {}
    for theme in ("talk", "light"):
        d = list(images.drawings(view, theme))[-1]
        drawn[theme] = {t.text for t in _owner_texts(d, offered) if t.anchor == "middle"}
    assert drawn == {"talk": {"big-file"}, "light": {"big-file", "small-file"}}


@pytest.mark.parametrize("name", bundled_names())
def test_owner_names_lie_on_their_blocks(name: str) -> None:
    view = _view(name)
    files = {
        f for frame in view.frames for b in frame.badges if b.kind == "owner" for f in [b.text]
    }
    for theme in THEMES:
        for d in images.drawings(view, theme):
            rects = [s for s in d.shapes if isinstance(s, drawing.Rect) and s.fill]
            for text in _owner_texts(d, files):
                if text.anchor != "middle":
                    continue
                width = typeset.text_width(text.text, text.size, bold=True)
                left, right = text.x - width / 2, text.x + width / 2
                assert any(
                    r.x - 0.5 <= left and right <= r.x + r.w + 0.5 and r.y <= text.y <= r.y + r.h
                    for r in rects
                ), (theme, text)
