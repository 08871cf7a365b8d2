"""``mapviz site OUT/``: the static site -- a gallery and the playground (docs/PLAYGROUND.md).

What it writes::

    OUT/index.html              the gallery: every bundled scenario, each a link to ...
    OUT/gallery/NAME.html       ... its exported page (Python-free: the frames are in it)
    OUT/play.html               the playground: editor, Run, models, compare grid, the views
    OUT/static/js/bokeh*.js     BokehJS, once, for every page
    OUT/static/site/*.js, .css  the playground's own code (play.js, apply.js, worker.js)
    OUT/static/wheels/*.whl     mapviz's and sortedcontainers' wheels, for the worker
    OUT/pyodide/                with --pyodide DIR: a local Pyodide (fully offline)

The playground's page holds a Bokeh document made here by the same
:func:`~mapviz.render.document.build_view` as ``mapviz export`` (one per
theme); the worker runs the simulator in Pyodide and answers with
:func:`mapviz.render.page_data.view_data`, which ``apply.js`` loads into that
document.  Without ``--pyodide`` the page loads the pinned Pyodide from
jsDelivr (:data:`PYODIDE_CDN`).
"""

from __future__ import annotations

import html
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from bokeh.embed import file_html, json_item
from bokeh.embed.bundle import bundle_for_objs_and_resources
from bokeh.resources import Resources
from bokeh.util.paths import bokehjs_path

from mapviz._version import __version__
from mapviz.errors import MapvizError
from mapviz.render.document import build_view, view_document
from mapviz.render.panels import theme_css
from mapviz.render.theme import Theme, theme_named
from mapviz.scenario import KERNEL_MODELS, bundled_names, bundled_text, load_scenario
from mapviz.site.links import play_link
from mapviz.site.wheels import distribution_wheel, mapviz_wheel
from mapviz.view.storyboard import Storyboard

PYODIDE_VERSION = "314.0.8"
"""The Pyodide the site is tested with: the npm registry's ``pyodide`` package (Python 3.14)."""
PYODIDE_CDN = f"https://cdn.jsdelivr.net/npm/pyodide@{PYODIDE_VERSION}/"
"""Where the site loads Pyodide from without ``--pyodide``: that npm package, on jsDelivr."""
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
"""What a Pyodide distribution must hold for the worker (a module worker: ``pyodide.mjs``,
and its ``pyodide.asm.mjs``)."""
DEFAULT_SCENARIO = "hole-sigbus"
"""What the playground shows before anything is run (and in its editor when the URL has
no scenario)."""
THEMES = ("light", "dark")
SITE_FILES = ("play.js", "apply.js", "worker.js", "play.css", "gallery.css")


@dataclass(frozen=True, slots=True)
class Site:
    """What :func:`build_site` wrote."""

    root: Path
    pages: int
    pyodide: str
    """Where the playground loads Pyodide from: ``pyodide/`` (local) or the CDN's URL."""

    def size(self, *, pyodide: bool = True) -> int:
        """Bytes of every file of the site (without the local Pyodide's when not ``pyodide``)."""
        local = self.root / "pyodide"
        return sum(
            path.stat().st_size
            for path in self.root.rglob("*")
            if path.is_file() and (pyodide or local not in path.parents)
        )


def build_site(out: Path, *, pyodide: Path | None = None, force: bool = False) -> Site:
    """Write the site into ``out`` (see the module docstring).

    Parameters
    ----------
    out
        The directory; it must not exist or be empty, unless ``force``.
    pyodide
        A Pyodide distribution to copy into the site: a directory holding
        ``pyodide.js`` and friends, an unpacked npm package (``package/``), or the
        tarball ``npm pack pyodide`` writes.  None: load the pinned one from jsDelivr.
    force
        Write into a non-empty ``out`` (files of the same names are replaced).

    Raises
    ------
    MapvizError
        ``out`` is in the way, or ``pyodide`` is not a Pyodide distribution.
    """
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not force)):
        raise MapvizError(f"mapviz site: {out} exists and is not empty (--force writes into it)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        static = out / "static"
        for folder in ("js", "site", "wheels"):
            (static / folder).mkdir(parents=True, exist_ok=True)
        (out / "gallery").mkdir(exist_ok=True)
        source = "pyodide/" if pyodide is not None else PYODIDE_CDN
        if pyodide is not None:
            _copy_pyodide(pyodide, out / "pyodide")
        wheels = [mapviz_wheel(), distribution_wheel("sortedcontainers")]
        for name, data in wheels:
            (static / "wheels" / name).write_bytes(data)
        for name in SITE_FILES:
            folder = "css" if name.endswith(".css") else "js"
            text = resources.files("mapviz.site").joinpath(folder, name).read_text("utf-8")
            (static / "site" / name).write_text(text, encoding="utf-8")
        bokeh_files = _playground(out, source, [name for name, _ in wheels])
        pages = _gallery(out)
        for name in bokeh_files:
            shutil.copyfile(Path(bokehjs_path()) / "js" / name, static / "js" / name)
        (out / ".nojekyll").write_bytes(b"")  # GitHub Pages: serve static/ as it is
    except OSError as error:
        raise MapvizError(f"mapviz site: cannot write {out}: {error.strerror or error}") from None
    return Site(out, pages, source)


def _copy_pyodide(given: Path, target: Path) -> None:
    with _pyodide_folder(given) as folder:
        missing = [name for name in PYODIDE_FILES if not (folder / name).is_file()]
        if missing:
            raise MapvizError(
                f"mapviz site: --pyodide {given}: not a Pyodide distribution "
                f"(no {', '.join(missing)})"
            )
        target.mkdir(exist_ok=True)
        # The interpreter and its standard library; not the distribution's other packages
        # (the playground needs none) nor source maps.
        for path in sorted(folder.iterdir()):
            wanted = path.name.startswith(("pyodide", "python_stdlib")) or path.name in (
                "package.json",
                "LICENSE",
            )
            if path.is_file() and wanted and not path.name.endswith((".map", ".d.ts")):
                shutil.copyfile(path, target / path.name)


@contextmanager
def _pyodide_folder(given: Path) -> Iterator[Path]:
    """The folder holding ``pyodide.mjs``: ``given``, its ``package/``, or an npm tarball's."""
    if given.is_file():
        with tempfile.TemporaryDirectory() as temp:
            try:
                with tarfile.open(given) as archive:
                    # Only package/NAME regular files: nothing an archive could aim elsewhere.
                    for member in archive.getmembers():
                        parts = PurePosixPath(member.name).parts
                        if member.isfile() and len(parts) == 2 and parts[0] == "package":
                            data = archive.extractfile(member)
                            if data is not None:
                                Path(temp, parts[1]).write_bytes(data.read())
            except (tarfile.TarError, OSError) as error:
                raise MapvizError(f"mapviz site: --pyodide {given}: {error}") from None
            yield Path(temp)
        return
    if not given.is_dir():
        raise MapvizError(f"mapviz site: --pyodide {given}: no such file or directory")
    yield given / "package" if (given / "package" / "pyodide.mjs").is_file() else given


def _resources(prefix: str) -> Resources:
    """BokehJS from the site's own ``static/js/`` (``prefix`` leads there from a page)."""
    return Resources(mode="server", root_url=prefix)


def _playground(out: Path, pyodide: str, wheels: list[str]) -> list[str]:
    """Write play.html; the BokehJS files it (and every page) needs."""
    scenario = load_scenario(DEFAULT_SCENARIO)
    view = Storyboard.from_scenario(scenario).view()
    docs: dict[str, Any] = {}
    bokeh_files: list[str] = []
    for theme in THEMES:
        models = build_view(view, theme_named(theme), name=DEFAULT_SCENARIO, standalone=False)
        document = view_document(models, f"mapviz: {view.title}")
        docs[theme] = json_item(models.root)
        bundle = bundle_for_objs_and_resources([document], _resources(""))
        bokeh_files = [str(url.url).rsplit("/", 1)[1] for url in bundle.js_files]
    examples = {name: bundled_text(name) for name in bundled_names()}
    config = {
        "version": __version__,
        "pyodide": pyodide,
        "pyodideVersion": PYODIDE_VERSION,
        "wheels": [f"static/wheels/{name}" for name in wheels],
        "models": list(KERNEL_MODELS),
        "defaultName": DEFAULT_SCENARIO,
        "defaultText": scenario.text,
        "examples": examples,
        "docs": docs,
        "bokeh": [f"static/js/{name}" for name in bokeh_files],
        "css": {theme: _page_css(theme_named(theme)) for theme in THEMES},
    }
    sources = [f"static/js/{name}" for name in bokeh_files]
    sources += ["static/site/apply.js", "static/site/play.js"]
    scripts = "\n".join(f'<script src="{source}"></script>' for source in sources)
    page = PLAY_PAGE.format(
        config=_script_json(config),
        scripts=scripts,
        models="\n".join(
            f'<option value="{html.escape(model)}">{html.escape(model)}</option>'
            for model in KERNEL_MODELS
        ),
        examples="\n".join(
            f'<option value="{html.escape(name)}">{html.escape(name)}</option>' for name in examples
        ),
    )
    (out / "play.html").write_text(page, encoding="utf-8")
    return bokeh_files


def _page_css(theme: Theme) -> str:
    """The playground's colours for ``theme``: the views' own (``panels.theme_css``)."""
    return theme_css(theme).replace(":host", ":root")


def _gallery(out: Path) -> int:
    """Write one exported page per bundled scenario, and index.html listing them."""
    cards = []
    for name in bundled_names():
        scenario = load_scenario(name)
        board = Storyboard.from_scenario(scenario)
        view = board.view()
        theme = theme_named("light")
        models = build_view(view, theme, name=name, source_text=scenario.text)
        title = f"mapviz: {view.title}"
        page = file_html(view_document(models, title), _resources("../"), title=title)
        (out / "gallery" / f"{name}.html").write_text(page, encoding="utf-8")
        e = html.escape
        cards.append(
            f'<li class="card"><a class="watch" href="gallery/{e(name)}.html">'
            f'<span class="title">{e(view.title)}</span></a>'
            f'<span class="meta"><code>{e(name)}</code> · {e(view.kernel)} · {e(view.fs)} · '
            f"{len(view.frames) - 1} steps</span>"
            f'<a class="edit" href="{e(play_link(scenario.text))}">open in the playground</a></li>'
        )
    index = GALLERY_PAGE.format(version=html.escape(__version__), cards="\n".join(cards))
    (out / "index.html").write_text(index, encoding="utf-8")
    return len(cards)


def _script_json(value: Any) -> str:
    """``value`` as JSON safe inside a ``<script>`` element: no ``<`` reaches the HTML parser.

    >>> _script_json({"t": "</script><b>"})
    '{"t": "\\\\u003c/script>\\\\u003cb>"}'
    """
    return json.dumps(value).replace("<", "\\u003c")


GALLERY_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mapviz: watch Linux map a file into memory</title>
<link rel="stylesheet" href="static/site/gallery.css">
</head>
<body>
<header>
<h1>mapviz</h1>
<p>Watch Linux map a file into memory: virtual pages, file offsets, the page cache and the
device's blocks, under today's kernel and the 2017 MAP_DIRECT proposal.  Every page here runs
in your browser: <a class="play" href="play.html">the playground</a> runs the simulator itself
(Python, in the page), and each scenario below opens at once.</p>
</header>
<main>
<ul class="cards">
{cards}
</ul>
</main>
<footer>mapviz {version} · static site made by <code>mapviz site</code></footer>
</body>
</html>
"""

PLAY_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mapviz playground</title>
<link rel="stylesheet" href="static/site/play.css">
<style id="mv-theme"></style>
</head>
<body>
<header class="bar">
  <a class="home" href="index.html">mapviz</a>
  <span class="sep">playground</span>
  <button id="run" type="button" disabled title="run the scenario (Ctrl+Enter)">▶ Run</button>
  <label>kernel model <select id="kernel"><option value="">the scenario's own</option>
{models}
  </select></label>
  <label>example <select id="example"><option value="">…</option>
{examples}
  </select></label>
  <button id="compare" type="button" disabled>Compare models</button>
  <button id="share" type="button">Copy link</button>
  <button id="download" type="button">Download as one-file HTML</button>
  <button id="theme" type="button" aria-label="switch light / dark">◐</button>
  <form id="command" class="command" autocomplete="off">
    <input id="line" type="text" spellcheck="false" disabled aria-label="a command to add"
      placeholder="type a command (mwrite 0 4k), Enter: it is added at the end and the run steps">
  </form>
  <span id="status" role="status" aria-live="polite">Loading Python…</span>
</header>
<main>
  <section class="code" aria-label="scenario">
    <div class="editor">
      <div class="gutter" id="gutter" aria-hidden="true"></div>
      <div class="lines" id="marks" aria-hidden="true"></div>
      <textarea id="text" spellcheck="false" autocapitalize="off" autocomplete="off"
        aria-label="scenario text" wrap="off"></textarea>
    </div>
    <div id="error" class="error" role="alert"></div>
    <div id="warnings" class="warnings"></div>
    <input id="link" class="link" type="text" readonly aria-label="link to this scenario">
  </section>
  <section class="view" aria-label="the views">
    <div id="mapviz-view"></div>
  </section>
  <section id="grid" class="grid" aria-label="every kernel model"></section>
</main>
<script type="application/json" id="mapviz-site">{config}</script>
{scripts}
</body>
</html>
"""
