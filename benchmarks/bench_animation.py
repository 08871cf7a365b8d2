"""Animated slides: ``mapviz export NAME --gif`` (and ``--webp``) against ``--png`` of the same run.

Two parts:

* ``time``: for a long, a middling and a short bundled scenario, the CPU
  time of ``mapviz export NAME --gif OUT.gif`` (1920x1080, the default) and
  of ``--webp``, each against ``mapviz export NAME --png DIR`` of the same
  scenario (one 1600-pixel PNG per step), rounds interleaved, medians.  The
  animation paints about 2.6 frames per step at 1.44 times the pixels, and
  encodes them; the goal is <= 3x the PNG export.
* ``sizes``: every bundled scenario in every theme, as GIF and WebP at
  1920x1080: the largest file.  Goal: <= 3 MB.

Each export runs in this process through ``mapviz.cli.main`` (the CLI's own
path, scenario simulation included), timed with ``time.process_time`` since
the machines here are shared.  Run ``python -m benchmarks.bench_animation
[time|sizes ...]`` (both by default); ``sizes`` costs about 2.5 minutes of CPU.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.table import Row, ratio
from mapviz.cli import main
from mapviz.render import THEME_NAMES
from mapviz.render.animation import encode, paint_reel
from mapviz.scenario import bundled_names, load_scenario
from mapviz.view import Storyboard

SCENARIOS = ("pinned-block-map", "hole-sigbus", "einval-anonymous")
ROUNDS = 3
TIME_GOAL = 3.0  # x the PNG export of the same scenario
SIZE_GOAL = 3e6  # bytes


def _cpu_seconds(argv: list[str]) -> float:
    start = time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    if status != 0:
        raise RuntimeError(f"mapviz {' '.join(argv)} exited {status}")
    return time.process_time() - start


def run_time(scenarios: tuple[str, ...] = SCENARIOS, rounds: int = ROUNDS) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mapviz-bench-") as directory:
        root = Path(directory)
        for name in scenarios:
            argvs = {
                "png": ["export", name, "--png", str(root / f"{name}-png")],
                "gif": ["export", name, "--gif", str(root / f"{name}.gif"), "--force"],
                "webp": ["export", name, "--webp", str(root / f"{name}.webp"), "--force"],
            }
            times: dict[str, list[float]] = {kind: [] for kind in argvs}
            for _ in range(rounds):
                for kind, argv in argvs.items():
                    times[kind].append(_cpu_seconds(argv))
            out[name] = {
                "steps": len(Storyboard.from_scenario(load_scenario(name)).view().frames) - 1,
                "cpu_seconds": {kind: statistics.median(t) for kind, t in times.items()},
                "bytes": {
                    "gif": (root / f"{name}.gif").stat().st_size,
                    "webp": (root / f"{name}.webp").stat().st_size,
                },
            }
    return out


def run_sizes() -> dict[str, Any]:
    largest: dict[str, Any] = {}
    for name in bundled_names():
        view = Storyboard.from_scenario(load_scenario(name)).view()
        for theme in THEME_NAMES:
            reel = paint_reel(view, theme)
            for fmt in ("gif", "webp"):
                size = len(encode(reel, fmt))
                if size > largest.get(fmt, {}).get("bytes", -1):
                    largest[fmt] = {"bytes": size, "scenario": name, "theme": theme}
    return {"scenarios": len(bundled_names()), "themes": list(THEME_NAMES), "largest": largest}


def run(parts: tuple[str, ...] = ("time", "sizes")) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if "time" in parts:
        result["time"] = run_time()
    if "sizes" in parts:
        result["sizes"] = run_sizes()
    return result


def rows(result: dict[str, Any]) -> list[Row]:
    table = []
    for name, part in result.get("time", {}).items():
        cpu = part["cpu_seconds"]
        baseline = f"--png {cpu['png']:.2f} s CPU ({part['steps']} steps)"
        for kind in ("gif", "webp"):
            table.append(
                Row(
                    f"animation: export {name} --{kind} 1920x1080",
                    f"{cpu[kind]:.2f} s CPU, {part['bytes'][kind] / 1e6:.2f} MB",
                    baseline,
                    ratio(cpu[kind], cpu["png"]),
                    f"<= {TIME_GOAL:g}x",
                    cpu[kind] <= TIME_GOAL * cpu["png"],
                )
            )
    sizes = result.get("sizes")
    if sizes:
        for fmt, largest in sizes["largest"].items():
            table.append(
                Row(
                    f"animation: largest --{fmt} of {sizes['scenarios']} scenarios x 3 themes",
                    f"{largest['bytes'] / 1e6:.2f} MB ({largest['scenario']}, {largest['theme']})",
                    "no baseline (a slide deck's budget)",
                    "",
                    "<= 3 MB",
                    largest["bytes"] <= SIZE_GOAL,
                )
            )
    return table


if __name__ == "__main__":
    from benchmarks.table import text_table

    chosen = tuple(sys.argv[1:]) or ("time", "sizes")
    outcome = run(chosen)
    print(text_table(rows(outcome)))
