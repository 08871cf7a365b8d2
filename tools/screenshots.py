"""Regenerate the screenshots under ``assets/screenshots/`` (1280x720, three themes).

Each shot exports a bundled scenario, opens it in headless Chromium and poses
it at a chosen step -- settled, or a moment into that step's animation -- so
the pictures are the same on every run.  Run: ``python -m tools.screenshots``
(needs Playwright and a Chromium, like ``tests/browser``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from mapviz.render.html import standalone_html
from mapviz.scenario import load_scenario
from mapviz.view import Storyboard
from tests.browser.harness import CHROMIUM_FLAGS  # the flags STACK.md verified

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "screenshots"
THEMES = ("light", "dark", "talk")
# scenario -> (step, ms into its animation or None for the settled end state)
SHOTS = {
    "hole-sigbus": (8, None),  # the store strikes the hole: SIGBUS
    "pinned-block-map": (6, None),  # the punch refused: ETXTBSY on a pinned block map
    "lease-break": (7, 1750),  # the lease break counting down before the revoke
}
PLAYER = "Bokeh.documents[0].get_model_by_name('mapviz-plot').__mapviz_player"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS
        )
        for name, (step, moment) in SHOTS.items():
            scenario = load_scenario(name)
            view = Storyboard.from_scenario(scenario).view()
            for theme in THEMES:
                page_path = Path(scratch) / f"{name}-{theme}.html"
                page_path.write_text(
                    standalone_html(view, theme, name=name, source_text=scenario.text)
                )
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.goto(page_path.as_uri())
                page.wait_for_function(f"() => {PLAYER} !== undefined")
                at = 1e9 if moment is None else moment
                page.evaluate(f"() => {{ {PLAYER}.pose({step}, {at}) }}")
                page.wait_for_timeout(400)
                out = OUT / f"{name}-{theme}.png"
                page.screenshot(path=str(out))
                page.close()
                print(f"{out.relative_to(ROOT)}  {out.stat().st_size / 1024:.0f} KB")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
