"""The static site (``mapviz site``) in real Chromium: the playground runs the simulator
in Pyodide, offline.

The site is built once with a local Pyodide (the pinned npm tarball, cached by
``harness.pyodide_tarball``) and served on 127.0.0.1; every request to any other
host is blocked and recorded, and must not happen.  No console error may appear,
in the page or in its worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapviz.site.links import encode_text, play_link
from tests.browser.conftest import _unavailable
from tests.browser.harness import LabError, pyodide_tarball, serve_directory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# SIGBUS at line 10 (frame 7), ETXTBSY at line 12 (frame 8) under map-direct-v5; both ok
# under mainline.
SCENARIO = """%title Playground test: a hole under MAP_DIRECT
%kernel map-direct-v5
%fs xfs dax
open -f data
truncate 128k
pwrite 0 64k
fsync
mmap -D 0 128k
mread 0 4k
mwrite 64k 4k
%expect SIGBUS
fpunch 0 4k
%expect ETXTBSY
"""
BOOT_MS = 180_000  # Pyodide's start on two busy cores: seconds, rarely a minute
PLAYER = "MapvizPlayground.player()"
STORY = "Bokeh.documents[Bokeh.documents.length - 1].get_model_by_name('mapviz-story').data"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site, built with the local Pyodide and served on 127.0.0.1: its base URL."""
    from mapviz.site.build import build_site

    try:
        tarball = pyodide_tarball()
    except LabError as error:
        _unavailable(f"no Pyodide for the playground: {error}")
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(out, pyodide=tarball)
    with serve_directory(out) as url:
        yield url


class Playground:
    """play.html (or another page of the site) in a fresh context, its console and network
    watched."""

    def __init__(self, browser: Any, base: str, path: str, **context: Any) -> None:
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 800}, reduced_motion="reduce", **context
        )
        self.problems: list[str] = []
        self.elsewhere: list[str] = []
        self.dialogs: list[str] = []

        def local_only(route: Any) -> None:
            if route.request.url.startswith(base):
                route.continue_()
            else:
                self.elsewhere.append(route.request.url)
                route.abort()

        self.context.route("**/*", local_only)
        self.page = self.context.new_page()

        def console(message: Any) -> None:
            if message.type == "error":
                self.problems.append(message.text)

        self.page.on("console", console)
        self.page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        self.page.on("worker", lambda worker: worker.on("console", console))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)
        self.page.goto(base + path)

    def started(self) -> None:
        """Wait until Python is up and the page has shown what its link asked for."""
        self.page.wait_for_function(
            "() => window.MapvizPlayground !== undefined && MapvizPlayground.state().ready",
            timeout=BOOT_MS,
        )
        self.page.evaluate("() => MapvizPlayground.started")

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate("() => MapvizPlayground.state()")
        return result

    def player(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate(f"() => {PLAYER}.state()")
        return result

    def story(self, column: str) -> list[Any]:
        values: list[Any] = self.page.evaluate(f"() => Array.from({STORY}['{column}'])")
        return values

    def wait_frame(self, frame: int) -> None:
        self.page.wait_for_function(
            f"() => {{ const s = {PLAYER}.state(); return s.settled && s.frame === {frame} }}",
            timeout=15_000,
        )

    def narration(self) -> str:
        return str(
            self.page.evaluate(
                "() => Bokeh.documents[Bokeh.documents.length - 1]"
                ".get_model_by_name('mapviz-narration').text"
            )
        )

    def run(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate("() => MapvizPlayground.run('')")
        return result

    def clean(self) -> None:
        assert self.problems == [], self.problems
        assert self.elsewhere == [], self.elsewhere
        assert self.dialogs == [], self.dialogs

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def playground(browser: Any, site: str) -> Iterator[Any]:
    opened: list[Playground] = []

    def open_(path: str, **context: Any) -> Playground:
        page = Playground(browser, site, path, **context)
        opened.append(page)
        return page

    yield open_
    for page in opened:
        page.close()


def test_a_linked_scenario_runs_steps_switches_and_marks_errors(playground: Any) -> None:
    page = playground(play_link(SCENARIO, step=8))
    page.started()
    assert page.page.input_value("#text") == SCENARIO  # the link's text, in the editor
    results = page.story("result")
    sigbus, etxtbsy = results.index("SIGBUS"), results.index("ETXTBSY")
    assert (sigbus, etxtbsy) == (7, 8)
    # &step=8 opened on the ETXTBSY step, and the editor marks its line.
    page.wait_frame(etxtbsy)
    assert "ETXTBSY" in page.narration()
    assert page.state()["nowLine"] == 12
    assert "now" in page.page.locator("#gutter div").nth(11).get_attribute("class")
    # The exported page's keys: Home, then the arrows step to the SIGBUS.
    page.page.locator(".bar .home").focus()
    page.page.keyboard.press("Home")
    page.wait_frame(0)
    for frame in range(1, sigbus + 1):
        page.page.keyboard.press("ArrowRight")
        page.wait_frame(frame)
    assert "SIGBUS" in page.narration()
    # The address bar follows: a link to what is shown.
    page.page.wait_for_function("() => /[#&]step=7$/.test(location.hash)")
    # Another kernel model: mainline fills the hole, and nothing is refused.
    page.page.select_option("#kernel", "mainline")
    page.page.wait_for_function(f"() => {STORY}.result.indexOf('SIGBUS') < 0", timeout=30_000)
    assert "SIGBUS" not in page.story("result") and "ETXTBSY" not in page.story("result")
    header = page.page.evaluate(
        "() => Bokeh.documents[Bokeh.documents.length - 1].get_model_by_name('mapviz-header').text"
    )
    assert "kernel model <b>mainline</b>" in header
    page.page.wait_for_function("() => location.hash.includes('&kernel=mainline')")
    # A line edited into a parse error: marked on that line, with the parser's words.
    page.page.fill("#text", SCENARIO.replace("mwrite 64k 4k", "mwrite 64k 4q"))
    outcome = page.run()
    assert outcome["ok"] is False and outcome["error"]["line"] == 10
    error = page.page.inner_text("#error")
    assert error.startswith("scenario:10: "), error
    assert "bad" in page.page.locator("#gutter div").nth(9).get_attribute("class")
    assert page.page.locator("#marks .mark.bad").count() == 1
    # Fixed again: the mark goes.
    page.page.fill("#text", SCENARIO)
    assert page.run()["ok"] is True
    assert page.page.locator("#marks .mark.bad").count() == 0
    page.clean()


def test_a_typed_command_steps_live_and_the_grid_compares(playground: Any) -> None:
    page = playground(play_link(SCENARIO))
    page.started()
    before = page.player()["total"]
    page.page.fill("#line", "munmap")
    page.page.press("#line", "Enter")
    page.page.wait_for_function(f"() => {PLAYER}.state().total === {before + 1}", timeout=30_000)
    page.wait_frame(before + 1)
    assert page.page.input_value("#text").rstrip().endswith("munmap")
    assert page.story("command")[-1] == "munmap"
    # A command that cannot be given: the text stays as it was, the error is said.
    page.page.fill("#line", "mwrite 0 4k")
    page.page.press("#line", "Enter")
    page.page.wait_for_function("() => document.getElementById('error').textContent !== ''")
    assert page.page.input_value("#text").rstrip().endswith("munmap")
    # The compare grid: every model, the steps that differ marked, a click shows that step.
    page.page.click("#compare")
    page.page.wait_for_selector("#grid table", timeout=120_000)
    heads = page.page.locator("#grid th").all_inner_texts()
    assert heads[3:] == ["mainline", "map-direct-v5", "map-direct-lease", "map-sync"]
    assert page.page.locator("#grid tr.differs").count() >= 2
    page.page.locator("#grid tr.differs button").first.click()
    page.page.wait_for_function("() => MapvizPlayground.state().kernel === 'mainline'")
    page.clean()


def test_the_link_and_the_download_carry_the_run(playground: Any, tmp_path: Path) -> None:
    page = playground(play_link(SCENARIO, kernel="map-sync", step="end"))
    page.started()
    total = page.player()["total"]
    page.wait_frame(total)
    link = page.page.evaluate("() => MapvizPlayground.makeLink(MapvizPlayground.state().frame)")
    read = page.page.evaluate("(hash) => MapvizPlayground.readLink(hash)", link)
    assert read == {"scenario": SCENARIO, "kernel": "map-sync", "step": str(total), "theme": ""}
    # The uncompressed form reads the same.
    plain = "#t=" + encode_text(SCENARIO) + "&step=end"
    assert page.page.evaluate("(hash) => MapvizPlayground.readLink(hash)", plain)["scenario"] == (
        SCENARIO
    )
    # "Download as one-file HTML": the run, offline, from file://.
    html = page.page.evaluate("() => MapvizPlayground.oneFile()")
    saved = tmp_path / "run.html"
    saved.write_text(html, encoding="utf-8")
    context = page.context.browser.new_context(reduced_motion="reduce")
    problems: list[str] = []
    fetched: list[str] = []

    def files_only(route: Any) -> None:
        if route.request.url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            fetched.append(route.request.url)
            route.abort()

    context.route("**/*", files_only)
    other = context.new_page()
    other.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    other.on("pageerror", lambda e: problems.append(str(e)))
    other.goto(saved.as_uri() + "#step=end")
    other.wait_for_function(
        "() => { const d = Bokeh.documents[0]; const p = d && d.get_model_by_name('mapviz-plot')"
        f".__mapviz_player; return p !== undefined && p.state().frame === {total} }}",
        timeout=30_000,
    )
    title = other.evaluate("() => Bokeh.documents[0].get_model_by_name('mapviz-header').text")
    assert "Playground test" in title and "map-sync" in title
    context.close()
    assert problems == [] and fetched == []
    page.clean()


HOSTILE = (
    '%title <img src=x onerror="window.__pwned=1"> </script><script>window.__pwned=2</script>\n'
    "%kernel mainline\n"
    "%note <script>window.__pwned=3</script>\n"
    "open -f data\n"
    '%note <img src=x onerror="window.__pwned=4">\n'
    "pwrite 0 4k\n"
    # A file named as markup: lane names, the legend's owners, hover texts, the narration.
    'open -f "<img src=x onerror=window.__pwned=5>"\n'
    "pwrite 0 8k\n"
)


def test_a_hostile_link_stays_text(playground: Any) -> None:
    page = playground(play_link(HOSTILE, step="end"))
    page.started()
    page.wait_frame(4)
    title = page.page.evaluate(
        "() => Bokeh.documents[Bokeh.documents.length - 1].get_model_by_name('mapviz-header').text"
    )
    assert "&lt;img src=x" in title and "<img" not in title
    assert page.story("result")[1:] == ["ok", "ok", "ok", "ok"]
    page.page.locator(".bar .home").focus()
    page.page.keyboard.press("Home")
    page.wait_frame(0)
    page.page.keyboard.press("ArrowRight")
    page.wait_frame(1)
    page.page.keyboard.press("ArrowRight")
    page.wait_frame(2)
    note = page.page.locator(".mv-note").first.inner_text()
    assert '<img src=x onerror="window.__pwned=4">' in note
    assert page.page.title().startswith("mapviz playground: <img src=x")
    # Hover the last step's glyphs (the hostile file's lanes and blocks among them).
    page.page.keyboard.press("End")
    page.wait_frame(4)
    box = page.page.locator("#mapviz-view").bounding_box()
    assert box is not None
    for fx in range(5, 70, 4):  # the plot is the left part of the views
        for fy in range(15, 80, 8):
            page.page.mouse.move(
                box["x"] + box["width"] * fx / 100, box["y"] + box["height"] * fy / 100
            )
    # A hostile line in an error message, and in a typed command: text too.
    page.page.fill("#text", HOSTILE + "pwrite <img/src=x/onerror=window.__pwned=6> 4k\n")
    outcome = page.run()
    assert outcome["ok"] is False, outcome
    assert outcome["error"]["text"].startswith(f"scenario:{outcome['error']['line']}: pwrite")
    assert "<img/src=x/onerror=window.__pwned=6>" in page.page.inner_text("#error")
    page.page.fill("#line", "<script>window.__pwned=7</script>")
    page.page.press("#line", "Enter")
    page.page.wait_for_function("() => document.getElementById('error').textContent !== ''")
    page.page.fill("#text", HOSTILE)
    page.page.click("#compare")
    page.page.wait_for_selector("#grid table", timeout=120_000)
    assert page.page.evaluate("() => window.__pwned") is None
    assert page.page.locator("img").count() == 0
    page.clean()


def test_the_gallery_opens_each_scenario_without_python(playground: Any) -> None:
    page = playground("index.html")
    cards = page.page.locator(".card")
    assert cards.count() >= 20
    first = page.page.locator(".card a.watch").first
    first.click()
    page.page.wait_for_url("**/gallery/*.html")
    page.page.wait_for_function(
        "() => { const d = window.Bokeh && Bokeh.documents[0]; "
        "const p = d && d.get_model_by_name('mapviz-plot').__mapviz_player; "
        "return p !== undefined && p.state().settled }",
        timeout=30_000,
    )
    page.page.go_back()
    edit = page.page.locator(".card a.edit").first.get_attribute("href")
    assert edit is not None and edit.startswith("play.html#s=")
    page.clean()


def test_theme_and_examples(playground: Any) -> None:
    """The dark theme from the link (and the toggle keeps the scenario); an example loads."""
    page = playground(play_link(SCENARIO, step=2) + "&theme=dark")
    page.started()
    assert page.page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    background = page.page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    page.page.click("#theme")
    page.page.wait_for_function(
        "() => window.MapvizPlayground !== undefined && MapvizPlayground.state().ready "
        "&& MapvizPlayground.state().theme === 'light'",
        timeout=BOOT_MS,
    )
    page.page.evaluate("() => MapvizPlayground.started")
    assert page.page.input_value("#text") == SCENARIO
    page.wait_frame(2)
    page.page.select_option("#example", "lease-break")
    page.page.wait_for_function(
        "() => Bokeh.documents[Bokeh.documents.length - 1].get_model_by_name('mapviz-header')"
        ".text.includes('scenario <b>lease-break</b>')",
        timeout=30_000,
    )
    assert "lease" in page.page.input_value("#text")
    page.clean()


def test_a_run_asked_during_another_answers_for_its_own_text(playground: Any) -> None:
    """Two runs in a row: each caller hears the outcome of the run that read its text."""
    page = playground(play_link(SCENARIO))
    page.started()
    outcomes = page.page.evaluate(
        """async (bad) => {
          const text = document.getElementById('text')
          const first = MapvizPlayground.run('')
          // Under way: it has read the good text (it reads it as it starts).
          for (let i = 0; i < 500 && !MapvizPlayground.state().running; i++) {
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
          text.value = bad
          const second = MapvizPlayground.run('')  // asked while the first runs
          return [await first, await second]
        }""",
        "%kernel mainline\nopen -f data\npwrite 0 nonsense\n",
    )
    assert outcomes[0]["ok"] is True, outcomes[0]
    assert outcomes[1]["ok"] is False and outcomes[1]["error"]["line"] == 3, outcomes[1]
    page.clean()
