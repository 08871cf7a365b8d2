"""Real headless Chromium for the browser tests (Playwright's Python API).

No ``playwright install``: the browser is the system's Chromium (Debian's
``chromium`` package), launched with the flags STACK.md verified
(:mod:`tests.browser.harness`, shared with the benchmarks).  Without
Playwright or a Chromium the tests skip, saying why -- unless
``MAPVIZ_REQUIRE_BROWSER=1`` (CI sets it), which turns the skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapviz.render.html import standalone_html
from mapviz.scenario import bundled_names, load_scenario
from mapviz.view import Storyboard, View
from tests.browser.harness import CHROMIUM_FLAGS, chromium_path


def _unavailable(reason: str) -> None:
    if os.environ.get("MAPVIZ_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MAPVIZ_REQUIRE_BROWSER=1, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session (starting one costs about a second)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    if executable is None:
        _unavailable("no Chromium found (apt-get install chromium, or set MAPVIZ_CHROMIUM)")
    manager = sync_playwright().start()
    try:
        instance = manager.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
    except Exception as error:  # the launcher's errors are not one type
        manager.stop()
        _unavailable(f"Chromium at {executable} did not start: {error}")
    yield instance
    instance.close()
    manager.stop()


class Exported:
    """A bundled scenario exported once per session: its page and its trace."""

    def __init__(self, name: str, path: Path, view: View) -> None:
        self.name = name
        self.path = path
        self.view = view

    @property
    def url(self) -> str:
        return self.path.as_uri()


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Exported]:
    """Every bundled scenario as a light-theme page, keyed by name."""
    directory = tmp_path_factory.mktemp("pages")
    out = {}
    for name in bundled_names():
        scenario = load_scenario(name)
        view = Storyboard.from_scenario(scenario).view()
        path = directory / f"{name}.html"
        path.write_text(
            standalone_html(view, "light", name=name, source_text=scenario.text), encoding="utf-8"
        )
        out[name] = Exported(name, path, view)
    return out
