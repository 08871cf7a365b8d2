"""Regenerate the playground's screenshots under ``assets/screenshots/`` (light and dark).

Builds the static site with the local Pyodide (``tests.browser.harness.pyodide_tarball``),
serves it on 127.0.0.1, opens the playground on a link to ``hole-sigbus`` at its SIGBUS
step with the compare grid shown, and saves ``playground-light.png`` and
``playground-dark.png`` (1600x1000).  Run: ``python -m tools.playground_screenshots``
(needs Playwright and a Chromium, like ``tests/browser``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from mapviz.scenario import bundled_text
from mapviz.site.build import build_site
from mapviz.site.links import play_link
from tests.browser.harness import CHROMIUM_FLAGS, pyodide_tarball, serve_directory

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "screenshots"
SCENARIO, STEP = "hole-sigbus", 8  # the store strikes the hole: SIGBUS
SIZE = {"width": 1600, "height": 1000}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        site = Path(scratch) / "site"
        build_site(site, pyodide=pyodide_tarball())
        with serve_directory(site) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS
            )
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    viewport=SIZE, color_scheme=scheme, reduced_motion="reduce"
                )
                page = context.new_page()
                page.goto(base + play_link(bundled_text(SCENARIO), step=STEP))
                page.wait_for_function(
                    "() => window.MapvizPlayground && MapvizPlayground.state().ready",
                    timeout=300_000,
                )
                page.evaluate("() => MapvizPlayground.started")
                page.evaluate("() => MapvizPlayground.compare()")
                page.evaluate("() => document.activeElement.blur()")  # no caret, no focus ring
                target = OUT / f"playground-{scheme}.png"
                page.screenshot(path=str(target))
                print(f"wrote {target}")
                context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
