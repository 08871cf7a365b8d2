"""The static site's playground (``mapviz site``) in headless Chromium, with a local Pyodide.

* **cold start**: from navigation to an interactive playground (Python up with
  mapviz imported, the linked scenario run and drawn), against Pyodide's own bare
  start-up (a module worker that only calls ``loadPyodide``) from the same server,
  in the same browser, in the same run; goal ratio <= 3.
* **live step**: one command typed at the end -> the run again in the worker -> the
  new step painted (reduced motion: its end state), median of several; goal <= 150 ms.
* **site size** without Pyodide; goal <= 15 MB.

``python -m benchmarks --only site`` (needs Chromium, Playwright, and the pinned
Pyodide: cached by ``tests.browser.harness.pyodide_tarball``, which runs ``npm pack``
once).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.table import Row

LIVE_COMMANDS = 15
BASE_SCENARIO = "%title live steps\nopen -f data\ntruncate 1m\npwrite 0 1m\nfsync\nmmap 0 1m\n"
BARE_PAGE = """<!DOCTYPE html><meta charset="utf-8"><title>bare Pyodide</title>
<script type="module">
const t0 = performance.now()
const worker = new Worker("bare-worker.js", {type: "module"})
worker.onmessage = (e) => { window.bare = {ms: performance.now() - t0, inWorker: e.data} }
worker.postMessage(new URL("pyodide/", location.href).href)
</script>"""
BARE_WORKER = """self.onmessage = async (e) => {
  const t0 = performance.now()
  const {loadPyodide} = await import(e.data + "pyodide.mjs")
  await loadPyodide({indexURL: e.data})
  self.postMessage(performance.now() - t0)
}"""


def _open_interactive(browser: Any, url: str) -> Any:
    """The playground at ``url``, once it says it is interactive (Pyodide loaded, run)."""
    page = _open(browser, url, reduced_motion="reduce")
    page.wait_for_function(
        "() => window.MapvizPlayground !== undefined && "
        "MapvizPlayground.state().timings.interactiveMs !== undefined",
        timeout=300_000,
    )
    return page


def _open(browser: Any, url: str, **context: Any) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 800}, **context).new_page()
    page.goto(url)
    return page


def run() -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from mapviz.site.build import build_site
    from mapviz.site.links import play_link
    from tests.browser.harness import (
        CHROMIUM_FLAGS,
        chromium_path,
        pyodide_tarball,
        serve_directory,
    )

    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp, "site")
        site = build_site(out, pyodide=pyodide_tarball())
        (out / "bare.html").write_text(BARE_PAGE, encoding="utf-8")
        (out / "bare-worker.js").write_text(BARE_WORKER, encoding="utf-8")
        result: dict[str, Any] = {
            "site_bytes": site.size(pyodide=False) - len(BARE_PAGE) - len(BARE_WORKER),
            "pyodide_bytes": site.size() - site.size(pyodide=False),
        }
        with serve_directory(out) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_FLAGS
            )
            bare, cold = [], []
            for _ in range(3):  # alternate, so both see the same load on the machine
                page = _open(browser, base + "bare.html")
                page.wait_for_function("() => window.bare !== undefined", timeout=300_000)
                bare.append(page.evaluate("() => window.bare.ms"))
                page.context.close()
                page = _open_interactive(browser, base + play_link(BASE_SCENARIO))
                cold.append(page.evaluate("() => MapvizPlayground.state().timings.interactiveMs"))
                page.context.close()
            page = _open_interactive(browser, base + play_link(BASE_SCENARIO))
            live = []
            for k in range(LIVE_COMMANDS):
                command = ("mread", "mwrite", "msync")[k % 3] + f" {(k * 64) % 1024}k 4k"
                live.append(
                    page.evaluate(
                        "async (c) => { const t = performance.now(); "
                        "const o = await MapvizPlayground.typed(c); "
                        "if (!o.ok) throw new Error(o.error.text); return performance.now() - t }",
                        command,
                    )
                )
            frames = page.evaluate("() => MapvizPlayground.player().state().total")
            browser.close()
    result.update(
        bare_ms=round(statistics.median(bare)),
        cold_ms=round(statistics.median(cold)),
        cold_ratio=round(statistics.median(cold) / statistics.median(bare), 2),
        bare_runs=[round(x) for x in bare],
        cold_runs=[round(x) for x in cold],
        live_median_ms=round(statistics.median(live), 1),
        live_max_ms=round(max(live), 1),
        live_runs=[round(x, 1) for x in live],
        live_frames=frames,
    )
    return result


def rows(result: dict[str, Any]) -> list[Row]:
    mb = result["site_bytes"] / 1e6
    return [
        Row(
            "playground cold start (interactive)",
            f"{result['cold_ms'] / 1000:.1f} s",
            f"bare Pyodide start {result['bare_ms'] / 1000:.1f} s",
            f"{result['cold_ratio']:.2f}x",
            "<= 3x",
            result["cold_ratio"] <= 3,
        ),
        Row(
            "playground live step (typed command -> painted)",
            f"median {result['live_median_ms']:.0f} ms (max {result['live_max_ms']:.0f})",
            "none: no other way to step",
            "",
            "<= 150 ms median",
            result["live_median_ms"] <= 150,
        ),
        Row(
            "static site without Pyodide",
            f"{mb:.1f} MB",
            f"Pyodide itself {result['pyodide_bytes'] / 1e6:.1f} MB",
            "",
            "<= 15 MB",
            mb <= 15,
        ),
    ]


if __name__ == "__main__":
    outcome = run()
    for row in rows(outcome):
        print(f"{row.benchmark}: {row.measured} ({row.baseline}) {row.verdict}")
    sys.exit(0)
