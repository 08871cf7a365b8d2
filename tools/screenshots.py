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
        _zoomed_big_file(browser, Path(scratch))
        browser.close()
    return 0


def big_file_scenario(extents: int = 3000) -> str:
    """A fragmented file (every other 4 KiB block, scattered on disk), mapped, one page punched."""
    lines = [f"%extent {8 * n}k 4k {4096 + 8 * ((n * 7919) % extents)}k" for n in range(extents)]
    return (
        "%title A fragmented file of 3,000 extents, zoomed\n%kernel mainline\n%fs xfs size=1g\n"
        f"open -f big\ntruncate {8 * extents}k\n" + "\n".join(lines) + "\n"
        f"mmap 0 {8 * extents}k\nmread {4 * extents}k 64k\nfpunch {4 * extents + 8}k 16k\n"
    )


def _zoomed_big_file(browser: object, scratch: Path) -> None:
    """The overview strip and the zoomed axes, on the last step of :func:`big_file_scenario`."""
    from mapviz.scenario import parse_scenario

    scenario = parse_scenario(big_file_scenario(), "big-file.scenario")
    view = Storyboard.from_scenario(scenario).view()
    page_path = scratch / "big-file.html"
    page_path.write_text(standalone_html(view, "light", name="big-file", source_text=""))
    page = browser.new_page(viewport={"width": 1280, "height": 720})  # type: ignore[attr-defined]
    page.goto(page_path.as_uri())
    page.wait_for_function(f"() => {PLAYER} !== undefined")
    page.evaluate(f"() => {{ {PLAYER}.pose({len(view.frames) - 1}, 1e9) }}")
    page.evaluate(
        "() => Bokeh.documents[0].get_model_by_name('mapviz-plot').x_range"
        ".setv({start: 494, end: 512})"
    )
    page.wait_for_timeout(800)
    out = OUT / "big-file-zoom.png"
    page.screenshot(path=str(out))
    page.close()
    print(f"{out.relative_to(ROOT)}  {out.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    sys.exit(main())
