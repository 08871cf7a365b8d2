"""The browser views, measured: frame updates, a huge file's glyphs, page sizes.

Three benchmarks, run together by :func:`run` for ``python -m benchmarks``:

* :func:`run_frame_update` -- in one headless-Chromium page, the work of one
  animation frame (building the overlay in JS plus painting, summed over the
  plot's ``paint``) while the base shows ~10k glyphs, against the same page
  showing its empty first frame.  Goal: <= 16 ms per frame at 10k glyphs.
* :func:`run_million` -- a file of 1,000,000 extents: glyphs per frame after
  the view's level of detail, and how long each stage takes.  Goal: <= 20k
  glyphs.
* :func:`run_sizes` -- the exported HTML of every bundled scenario against
  BokehJS's own inline size.  Goal: <= 2.5 MB each.

Run ``python benchmarks/bench_browser.py [frame|million|sizes ...]`` (all by
default); the million-extent build takes about a minute and a half.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.table import Row, ratio
from mapviz.core.ops.place import place_extent
from mapviz.core.simulation import Simulation
from mapviz.render.html import standalone_html
from mapviz.render.tables import build_tables
from mapviz.render.theme import theme_named
from mapviz.scenario import bundled_names, load_scenario, parse_line
from mapviz.scenario.syntax import ExtentSpec, FsConfig
from mapviz.view import Storyboard, View
from tests.browser.harness import CHROMIUM_FLAGS  # the flags STACK.md verified

CHROMIUM = "/usr/bin/chromium"
PAGE = 4096
FRAME_GOAL_MS = 16.0
GLYPH_GOAL = 20_000
SIZE_GOAL = 2.5e6
ROUNDS = 60


def extent_view(extents: int, *, title: str = "bench") -> tuple[View, dict[str, float]]:
    """A DAX file of ``extents`` one-block extents (none adjacent), mapped and faulted.

    The extents are placed straight into the file between two steps, as
    ``%extent`` would but without a step each.  Returns the view and the
    seconds each stage took: ``place`` (the simulator taking the extents),
    ``steps`` (the storyboard's scenes of the later steps), ``view`` (frames).
    """
    clock = time.perf_counter()
    fs = FsConfig(size=max(64 << 20, (4 * extents + 100_000) * PAGE), dax=True)
    board = Storyboard(Simulation(fs, "map-direct-v5"), title)
    for line in ("open -f big", f"truncate {2 * extents * PAGE}"):
        board.apply(_line(line, fs))
    machine = board.sim.machine
    inode = machine.fs.files["big"]
    for index in range(extents):
        place_extent(machine, inode, ExtentSpec(0, 2 * index * PAGE, PAGE))
    machine.events = []  # the placements' events belong to no step
    times = {"place": time.perf_counter() - clock}
    clock = time.perf_counter()
    for line in ("mmap -D 0 64k", "mread 0 16k"):
        board.apply(_line(line, fs))
    times["steps"] = time.perf_counter() - clock
    clock = time.perf_counter()
    view = board.view()
    times["view"] = time.perf_counter() - clock
    return view, times


def _line(text: str, fs: FsConfig) -> Any:
    item = parse_line(text, fs=fs)
    assert item is not None
    return item


def glyphs(view: View, frame: int) -> int:
    shown = view.frames[frame]
    return len(shown.quads["x0"]) + len(shown.links["xs"])


# --- per-frame update ---------------------------------------------------------------------

MEASURE = """async ([base, step, rounds]) => {
  const plot = Bokeh.documents[0].get_model_by_name('mapviz-plot')
  const player = plot.__mapviz_player
  const view = Bokeh.index.find_one(plot)
  let painted = 0
  const paint = view.paint.bind(view)
  view.paint = function () {
    const t = performance.now(); paint(); painted += performance.now() - t
  }
  const frame = () => new Promise((done) => requestAnimationFrame(() => done()))
  player.pose(base, 1e9)              // the base: `base`'s glyphs, settled
  await frame(); await frame()
  const span = player.beats(step)     // then animate `step`'s beats over it, frame by frame
  const work = [], sync = []
  for (let i = 0; i < rounds; i++) {
    painted = 0
    const t0 = performance.now()
    player.overlayAt(step, (i + 0.5) / rounds * span)
    const t1 = performance.now()
    await frame(); await frame()
    sync.push(t1 - t0); work.push(t1 - t0 + painted)
  }
  view.paint = paint
  return {work, sync, glyphs: Bokeh.documents[0].get_model_by_name('mapviz-base').data.x0.length
                              + Bokeh.documents[0].get_model_by_name('mapviz-links').data.xs.length}
}"""


def run_frame_update(extents: int = 3400) -> dict[str, Any]:
    """Per-frame work with ~10k glyphs drawn versus an empty frame, in the same page."""
    from playwright.sync_api import sync_playwright

    view, _ = extent_view(extents)
    busy = max(range(len(view.frames)), key=lambda f: glyphs(view, f))
    step = len(view.frames) - 1  # mread: a fault travelling down, then a page mapped
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        path = Path(scratch) / "bench.html"
        path.write_text(standalone_html(view, "light", name="bench"), encoding="utf-8")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(path.as_uri())
        page.wait_for_function(
            "() => Bokeh.documents[0].get_model_by_name('mapviz-plot')"
            ".__mapviz_player !== undefined"
        )
        page.evaluate(MEASURE, [0, step, 10])  # warm up
        empty = page.evaluate(MEASURE, [0, step, ROUNDS])
        full = page.evaluate(MEASURE, [busy, step, ROUNDS])
        swap = page.evaluate(
            """async ([a, b]) => {
            const p = Bokeh.documents[0].get_model_by_name('mapviz-plot').__mapviz_player
            const frame = () => new Promise((done) => requestAnimationFrame(() => done()))
            const times = []
            for (let i = 0; i < 6; i++) {
              p.pose(a, 1e9); await frame(); await frame()
              const t0 = performance.now(); p.pose(b, 1e9); await frame(); await frame()
              times.push(performance.now() - t0)
            }
            return times
        }""",
            [0, busy],
        )
        browser.close()
    result = {
        "glyphs": full["glyphs"],
        "empty_glyphs": empty["glyphs"],
        "frame_ms_median": statistics.median(full["work"]),
        "frame_ms_p95": _p95(full["work"]),
        "empty_frame_ms_median": statistics.median(empty["work"]),
        "js_ms_median": statistics.median(full["sync"]),
        "step_swap_ms_median": statistics.median(swap),
        "goal_ms": FRAME_GOAL_MS,
    }
    result["ok"] = result["frame_ms_p95"] <= FRAME_GOAL_MS
    return result


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# --- a million extents ----------------------------------------------------------------------


def run_million(extents: int = 1_000_000, baseline: int = 1_000) -> dict[str, Any]:
    """Glyphs per frame and build times for one file of ``extents`` extents.

    ``baseline`` is the same build for a file of that many extents, so the
    growth shows: glyphs and the view's own seconds (scenes + frames, not the
    simulator taking the extents) should grow far less than the extents do.
    """
    small, small_times = extent_view(baseline, title="baseline")
    small_glyphs = max(glyphs(small, f) for f in range(len(small.frames)))
    view, times = extent_view(extents, title="a million extents")
    started = time.perf_counter()
    build_tables(view, theme_named("light"))
    tabled = time.perf_counter() - started
    started = time.perf_counter()
    page = standalone_html(view, "light", name="million")
    paged = time.perf_counter() - started
    most = max(glyphs(view, f) for f in range(len(view.frames)))
    return {
        "extents": extents,
        "glyphs_max_per_frame": most,
        "place_s": times["place"],
        "steps_s": times["steps"],
        "view_s": times["view"],
        "tables_s": tabled,
        "html_s": paged,
        "html_bytes": len(page.encode("utf-8")),
        "baseline_extents": baseline,
        "baseline_glyphs": small_glyphs,
        "baseline_view_s": small_times["steps"] + small_times["view"],
        "goal_glyphs": GLYPH_GOAL,
        "ok": most <= GLYPH_GOAL,
    }


# --- page sizes -----------------------------------------------------------------------------


def bokehjs_inline_bytes(view: View) -> int:
    """What the inline BokehJS in ``view``'s page weighs by itself (the floor of every page).

    Bokeh inlines only the bundles a document uses (here bokeh and
    bokeh-widgets; no WebGL, tables or MathJax).
    """
    from bokeh.embed.bundle import bundle_for_objs_and_resources
    from bokeh.resources import INLINE

    from mapviz.render.document import build_view, view_document

    doc = view_document(build_view(view, theme_named("light"), name="size"), "size")
    bundle = bundle_for_objs_and_resources([doc], INLINE)
    return sum(len(js.encode("utf-8")) for js in bundle.js_raw) + sum(
        len(css.encode("utf-8")) for css in bundle.css_raw
    )


def run_sizes() -> dict[str, Any]:
    """Exported HTML bytes per bundled scenario, and BokehJS's share of them."""
    sizes = {}
    bokehjs = 0
    for name in bundled_names():
        scenario = load_scenario(name)
        view = Storyboard.from_scenario(scenario).view()
        page = standalone_html(view, "light", name=name, source_text=scenario.text)
        sizes[name] = len(page.encode("utf-8"))
        bokehjs = bokehjs or bokehjs_inline_bytes(view)
    largest = max(sizes.values())
    return {
        "bokehjs_bytes": bokehjs,
        "pages": sizes,
        "largest_bytes": largest,
        "goal_bytes": SIZE_GOAL,
        "ok": largest <= SIZE_GOAL,
    }


# --- for python -m benchmarks ----------------------------------------------------------------


def run() -> dict[str, Any]:
    """Every browser benchmark; the frame one is skipped without Chromium."""
    result: dict[str, Any] = {"million": run_million(), "sizes": run_sizes()}
    if Path(CHROMIUM).exists():
        result["frame"] = run_frame_update()
    else:
        result["frame"] = {"skipped": f"{CHROMIUM} is not installed"}
    return result


def rows(result: dict[str, Any]) -> list[Row]:
    """The views' lines of the benchmark table."""
    million, sizes, frame = result["million"], result["sizes"], result["frame"]
    view_s = million["steps_s"] + million["view_s"]
    extents = f"{million['extents']:,}-extent file"
    table = [
        Row(
            f"view of a {extents}: glyphs",
            f"{million['glyphs_max_per_frame']:,}",
            f"{million['baseline_extents']:,} extents: {million['baseline_glyphs']:,}",
            ratio(million["glyphs_max_per_frame"], million["baseline_glyphs"]),
            "<= 20k, sub-linear",
            million["ok"],
        ),
        Row(
            f"view of a {extents}: build",
            f"{view_s:.1f} s",
            f"{million['baseline_extents']:,} extents: {million['baseline_view_s']:.2f} s",
            ratio(view_s, million["baseline_view_s"]),
            f"< {million['extents'] // million['baseline_extents']:,}x (sub-linear)",
            view_s / million["baseline_view_s"] < million["extents"] / million["baseline_extents"],
        ),
    ]
    if "skipped" in frame:
        table.append(
            Row("browser frame at 10k glyphs", "skipped", frame["skipped"], "", "<= 16 ms", None)
        )
    else:
        table.append(
            Row(
                f"browser frame at {frame['glyphs']:,} glyphs (p95)",
                f"{frame['frame_ms_p95']:.1f} ms",
                f"empty frame {frame['empty_frame_ms_median']:.1f} ms",
                ratio(frame["frame_ms_p95"], frame["empty_frame_ms_median"]),
                "<= 16 ms",
                frame["ok"],
            )
        )
    table.append(
        Row(
            "exported HTML, largest bundled scenario",
            f"{sizes['largest_bytes'] / 1e6:.2f} MB",
            f"BokehJS inline {sizes['bokehjs_bytes'] / 1e6:.2f} MB",
            ratio(sizes["largest_bytes"], sizes["bokehjs_bytes"]),
            "<= 2.5 MB",
            sizes["ok"],
        )
    )
    return table


# --- the table --------------------------------------------------------------------------------


def _print_frame(r: dict[str, Any]) -> None:
    print("per-frame update (overlay animation, one page)")
    print(f"  {'base drawn':<22}{'glyphs':>8}{'median ms':>12}{'p95 ms':>10}")
    print(
        f"  {'empty first frame':<22}{r['empty_glyphs']:>8}{r['empty_frame_ms_median']:>12.2f}"
        f"{'':>10}"
    )
    print(
        f"  {'busiest frame':<22}{r['glyphs']:>8}{r['frame_ms_median']:>12.2f}"
        f"{r['frame_ms_p95']:>10.2f}"
    )
    print(
        f"  JS share {r['js_ms_median']:.2f} ms; a step change (base swap) "
        f"{r['step_swap_ms_median']:.1f} ms to painted; goal <= {r['goal_ms']:.0f} ms: "
        f"{'met' if r['ok'] else 'MISSED'}"
    )


def _print_million(r: dict[str, Any]) -> None:
    print(f"a file of {r['extents']:,} extents")
    print(
        f"  glyphs per frame (most)   {r['glyphs_max_per_frame']:>10,}  "
        f"(goal <= {r['goal_glyphs']:,}: {'met' if r['ok'] else 'MISSED'})"
    )
    print(f"  simulator takes them      {r['place_s']:>10.1f} s  (benchmark setup)")
    print(f"  two steps' scenes         {r['steps_s']:>10.1f} s  (mapviz.core.scene)")
    print(f"  frames (view)             {r['view_s']:>10.1f} s")
    print(f"  tables                    {r['tables_s']:>10.2f} s")
    print(f"  whole HTML                {r['html_s']:>10.2f} s  ({r['html_bytes'] / 1e6:.1f} MB)")


def _print_sizes(r: dict[str, Any]) -> None:
    bokehjs = r["bokehjs_bytes"]
    print(f"exported HTML per bundled scenario (BokehJS inline alone: {bokehjs / 1e6:.3f} MB)")
    for name, size in r["pages"].items():
        print(f"  {name:<28}{size / 1e6:>8.3f} MB   +{(size - bokehjs) / 1e3:>6.0f} KB")
    print(
        f"  largest {r['largest_bytes'] / 1e6:.3f} MB; goal <= {r['goal_bytes'] / 1e6:.1f} MB: "
        f"{'met' if r['ok'] else 'MISSED'}"
    )


BENCHMARKS: dict[str, tuple[Callable[[], dict[str, Any]], Callable[[dict[str, Any]], None]]] = {
    "frame": (run_frame_update, _print_frame),
    "million": (run_million, _print_million),
    "sizes": (run_sizes, _print_sizes),
}


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(
            f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    for name in chosen:
        run, show = BENCHMARKS[name]
        show(run())
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
