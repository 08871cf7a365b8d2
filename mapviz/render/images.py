"""One image per step for slides: ``step-000.svg`` (the start), ``step-001.svg`` ...

What ``mapviz export --svg DIR`` / ``--png DIR`` write.  Each slide is drawn
from the view's frames (``mapviz.render.slide``) into a display list, which
:mod:`mapviz.render.svg` writes as SVG and :mod:`mapviz.render.png` paints
with Pillow; neither needs a browser.

>>> import tempfile
>>> from mapviz.scenario import load_scenario
>>> from mapviz.view import Storyboard
>>> view = Storyboard.from_scenario(load_scenario("hole-sigbus")).view()
>>> with tempfile.TemporaryDirectory() as directory:
...     [path.name for path in write_svgs(view, directory)][:2]
['step-000.svg', 'step-001.svg']
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mapviz.render.drawing import Drawing
from mapviz.render.slide import draw_slide, plan_slides
from mapviz.render.theme import Theme
from mapviz.view.storyboard import View


def slide_name(index: int, suffix: str) -> str:
    """The file name of frame ``index``'s image.

    >>> slide_name(7, "png")
    'step-007.png'
    """
    return f"step-{index:03d}.{suffix}"


def drawings(view: View, theme: str | Theme = "light") -> Iterator[Drawing]:
    """The slide of every frame of ``view``, in order (laid out once for all of them)."""
    plan = plan_slides(view, theme)
    for index in range(len(view.frames)):
        yield draw_slide(view, index, plan)


def write_svgs(view: View, directory: str | Path, theme: str | Theme = "light") -> list[Path]:
    """Write one self-contained SVG per frame of ``view`` into ``directory``.

    Parameters
    ----------
    view
        The frames, from ``Storyboard.view()``.
    directory
        Where to write; created if missing.  Existing ``step-NNN.svg`` files
        are overwritten.
    theme
        ``light``, ``dark`` or ``talk`` (or a :class:`~mapviz.render.theme.Theme`).

    Returns
    -------
    list[Path]
        The files written, frame 0 (the start) first.
    """
    from mapviz.render.svg import to_svg

    out = _directory(directory)
    paths = []
    for index, drawing in enumerate(drawings(view, theme)):
        path = out / slide_name(index, "svg")
        path.write_text(to_svg(drawing), encoding="utf-8")
        paths.append(path)
    return paths


def write_pngs(
    view: View, directory: str | Path, theme: str | Theme = "light", width: int = 1600
) -> list[Path]:
    """Write one PNG per frame of ``view`` into ``directory``, ``width`` pixels wide.

    The height follows the slide's proportions: 16:9 (900 px at the default
    width) unless the view has so many bands that it needs more.

    Parameters
    ----------
    view
        The frames, from ``Storyboard.view()``.
    directory
        Where to write; created if missing.
    theme
        ``light``, ``dark`` or ``talk`` (or a :class:`~mapviz.render.theme.Theme`).
    width
        Pixel width of every image.

    Returns
    -------
    list[Path]
        The files written, frame 0 (the start) first.
    """
    # Pillow is imported only here, so SVG export and `import mapviz.render.images` need none.
    from mapviz.render.png import HatchMasks, to_image

    if width < 16:
        raise ValueError(f"a PNG must be at least 16 pixels wide, not {width}")
    out = _directory(directory)
    paths = []
    hatches: HatchMasks = {}
    for index, drawing in enumerate(drawings(view, theme)):
        path = out / slide_name(index, "png")
        # Default zlib level: `optimize` halves the speed for 1-2 % smaller files.
        to_image(drawing, width, hatches).save(path)
        paths.append(path)
    return paths


def _directory(directory: str | Path) -> Path:
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    return path
