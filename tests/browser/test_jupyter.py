"""The notebook widget in a real JupyterLab and under Voila, driven by real Chromium.

One JupyterLab server (:func:`tests.browser.harness.jupyter_lab`, on loopback,
with a random token; the widget benchmark starts it the same way) serves a
copy of ``notebooks/`` -- running cells saves outputs, and the repository's
notebooks stay without them.  Voila is reached through the same server's
``/voila/render/`` path, which is how Binder opens ``talk.ipynb``.

Each test checks the plot through ``Bokeh.documents`` (the player's state and
the drawn base source), fails on any console error, and saves a screenshot to
``artifacts/`` (or ``$MAPVIZ_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import _unavailable
from tests.browser.harness import LabServer, jupyter_lab, missing_package, run_all_cells
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.jupyter]

ARTIFACTS = Path(os.environ.get("MAPVIZ_ARTIFACTS", ROOT / "artifacts"))
VIEWPORT = {"width": 1440, "height": 1000}

# Every mapviz view in the page: its player's state and a fingerprint of what it draws.
VIEWS = """() => (window.Bokeh ? Bokeh.documents : []).flatMap((doc) => {
  const plot = doc.get_model_by_name('mapviz-plot')
  if (plot == null || plot.__mapviz_player == null) return []
  const base = doc.get_model_by_name('mapviz-base').data
  const drawn = Array.from(base.x0).join(',') + '|' + Array.from(base.state).join(',')
  return [Object.assign({drawn}, plot.__mapviz_player.state())]
})"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab on 127.0.0.1, serving a copy of the notebooks, for this module's tests."""
    reason = missing_package(("jupyterlab", "voila", "jupyter_bokeh"))
    if reason is not None:  # a failure in CI, a skip elsewhere
        _unavailable(reason)
    home = tmp_path_factory.mktemp("jupyter")
    shutil.copytree(ROOT / "notebooks", home / "notebooks")
    with jupyter_lab(home) as server:
        yield server


class Tab:
    """A browser tab on the server, its console watched for errors."""

    def __init__(self, browser: Any, url: str, *, allowed: tuple[str, ...] = ()) -> None:
        self.context = browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.allowed = allowed
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        self.page.goto(url)

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        text = f"{message.text} ({where})"
        # Only a resource from another host may fail, and only where the test allows it.
        remote = not where.startswith("http://127.0.0.1")
        if not (remote and any(pattern in text for pattern in self.allowed)):
            self.errors.append(text)

    def dialogs(self) -> list[str]:
        """The text of every JupyterLab dialog shown (such as "Select Kernel"): none, in a
        run that went as a learner's would."""
        shown: list[str] = self.page.locator(".jp-Dialog").all_inner_texts()
        return shown

    def views(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.page.evaluate(VIEWS)
        return found

    def wait_for_views(self, predicate: str, timeout: float = 90_000) -> None:
        """Wait until ``predicate`` (JS, over ``views``, the list VIEWS returns) holds."""
        self.page.wait_for_function(
            f"() => {{ const views = ({VIEWS})(); return {predicate} }}", timeout=timeout
        )

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        return path

    def __enter__(self) -> Tab:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if error is not None:  # what the page looked like when it went wrong, and why
            self.screenshot(f"failed-{self.page.url.split('/')[-1].split('?')[0]}.png")
            tracebacks = self.page.locator(
                "[data-mime-type='application/vnd.jupyter.stderr']"
            ).all_inner_texts()
            print("cell errors in the page:", *tracebacks, "console:", *self.errors, sep="\n")
        self.context.close()


LABELS = {"first": "▮◀", "back": "◀", "next": "▶", "last": "▶▮"}


def _press(tab: Tab, control: str, index: int = 0) -> None:
    """Click a player control (``first``, ``next`` ...) of the ``index``-th view, by mouse."""
    tab.page.get_by_role("button", name=LABELS[control], exact=True).nth(index).click()


def _type_command(tab: Tab, text: str, index: int = 0) -> None:
    box = tab.page.locator(".mapviz-command input").nth(index)
    box.click()
    box.fill(text)
    box.press("Enter")


def test_tour_in_jupyterlab(browser: Any, lab: LabServer) -> None:
    with Tab(browser, lab.page("/lab/tree/notebooks/00-tour.ipynb", "reset")) as tab:
        started = time.monotonic()
        run_all_cells(tab.page)
        # The last cell switches the model; by then every step request has reached the page.
        tab.page.get_by_text("steps that end differently: ()").wait_for(timeout=90_000)
        tab.wait_for_views(
            "views.length === 1 && views[0].settled && views[0].total === 10 "
            "&& views[0].frame === 10"
        )
        ran = time.monotonic() - started

        _press(tab, "first")  # the player's own controls
        _press(tab, "next")
        tab.wait_for_views("views[0].frame === 1 && views[0].settled")
        start = tab.views()[0]  # after `open -f data`: an empty file, nothing new drawn
        _press(tab, "next")
        tab.wait_for_views("views[0].frame === 2 && views[0].settled")
        after_step = tab.views()[0]  # after `pwrite 0 64k`: delalloc, dirty frames
        assert after_step["drawn"] != start["drawn"], "stepping changed nothing in the plot"

        _type_command(tab, "mwrite 4k 4k")  # a live command, typed in the widget's box
        tab.wait_for_views("views[0].total === 11 && views[0].frame === 11 && views[0].settled")
        assert tab.views()[0]["drawn"] != after_step["drawn"]
        message = tab.page.locator(".mapviz-message").first.inner_text()
        assert "step 11: mwrite 4k 4k → ok" in message
        # The README's picture: the widget from its command box down.
        tab.page.locator(".mapviz").first.evaluate("(el) => el.scrollIntoView({block: 'start'})")
        tab.screenshot("jupyterlab-00-tour.png")

        _type_command(tab, "frobnicate 1")  # bad input: a message, and nothing changes
        tab.page.locator(".mapviz-message", has_text="unknown command").wait_for()
        assert tab.views()[0]["total"] == 11
        assert tab.errors == [], tab.errors
        assert tab.dialogs() == [], tab.dialogs()
        assert ran < 90


def test_two_widgets_in_one_notebook_keep_apart(browser: Any, lab: LabServer) -> None:
    with Tab(browser, lab.page("/lab/tree/notebooks/02-page-cache-vs-dax.ipynb", "reset")) as tab:
        run_all_cells(tab.page)
        tab.wait_for_views(
            "views.length === 2 && views.every((v) => v.settled && "
            "v.frame === 10 && v.total === 10)"
        )
        _press(tab, "first", index=1)  # only the second widget
        tab.wait_for_views("views[1].frame === 0 && views[1].settled")
        tab.page.keyboard.press("ArrowRight")  # keys go to the widget last clicked
        tab.wait_for_views("views[1].frame === 1 && views[1].settled")
        first, second = tab.views()
        assert (first["frame"], second["frame"]) == (10, 1)
        assert tab.errors == [], tab.errors
        assert tab.dialogs() == [], tab.dialogs()


def test_predict_then_reveal_in_jupyterlab(browser: Any, lab: LabServer) -> None:
    with Tab(browser, lab.page("/lab/tree/notebooks/03-map-direct-pinning.ipynb", "reset")) as tab:
        run_all_cells(tab.page)
        tab.wait_for_views(
            "views.length === 4 && views.every((v) => v.settled) && "
            "views[1].frame === 0 && views[1].total === 10"
        )
        # The first exercise (predict=True): `open` and `pwrite` carry no %expect and play;
        # fsync's result (`%expect ok`) is held back.
        for frame in (1, 2):
            _press(tab, "next", index=1)
            tab.wait_for_views(f"views[1].frame === {frame} && views[1].settled")
        _press(tab, "next", index=1)
        question = tab.page.locator(".mapviz-quiz").nth(1)
        question.get_by_text("Predict step 3:").wait_for()
        assert tab.views()[1]["frame"] == 2  # the page did not show it
        guess = tab.page.locator(".mapviz-guess-ok").nth(1)
        guess.click()
        tab.wait_for_views("views[1].frame === 3 && views[1].settled")
        question.get_by_text("✓ right").wait_for()
        assert "Score: 1 of 1" in question.inner_text()
        _press(tab, "last", index=1)  # End: no further than what is revealed
        _press(tab, "next", index=1)
        question.get_by_text("Predict step 4:").wait_for()
        assert [view["frame"] for view in tab.views()] == [16, 3, 0, 0]
        assert tab.errors == [], tab.errors
        assert tab.dialogs() == [], tab.dialogs()


# Voila 0.5 fetches Font Awesome and MathJax from CDNs: with no network they fail to load
# (STACK.md pitfall 14; icons and TeX are missing, nothing else).  Failures of this server's
# own files still count.
VOILA_OFFLINE = ("net::ERR_",)


def test_talk_under_voila(browser: Any, lab: LabServer) -> None:
    with Tab(browser, lab.page("/voila/render/notebooks/talk.ipynb"), allowed=VOILA_OFFLINE) as tab:
        tab.wait_for_views("views.length === 1 && views[0].settled && views[0].total === 11")
        assert tab.views()[0]["frame"] == 0
        _press(tab, "next")
        tab.wait_for_views("views[0].frame === 1 && views[0].settled")
        start = tab.views()[0]  # after `open -f data`: an empty file, nothing new drawn
        _press(tab, "next")
        tab.wait_for_views("views[0].frame === 2 && views[0].settled")
        assert tab.views()[0]["drawn"] != start["drawn"]  # `truncate 128k`: a hole appears
        _type_command(tab, "munmap")
        tab.wait_for_views("views[0].total === 12 && views[0].frame === 12 && views[0].settled")
        tab.screenshot("voila-talk.png")
        assert tab.errors == [], tab.errors
