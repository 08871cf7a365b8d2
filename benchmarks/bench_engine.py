"""The simulation core: a 20,000-command script, lookups, faults and memory at 1,000,000 extents.

Every figure comes with a baseline measured in the same run (machines here are
shared and noisy):

* ``script``: ``mapviz run`` of a seeded 20,000-command random
  pwrite/pread/fpunch/falloc script, against the real kernel + ``xfs_io`` running
  the same commands on a freshly made, loop-mounted XFS (root only; else skipped);
  and the same script with every range 16 times longer (64 KiB units instead
  of 4 KiB, so 16x the pages touched) against the first: the engine should
  grow sub-linearly in pages (range-based page-cache state).
* ``lookups``: ``ExtentMap.find`` on files of 1k..1M extents, against a plain
  ``bisect`` over sorted lists doing the same lookups; the growth from 1k to 1M
  extents shows the O(log n).
* ``faults``: page faults through a mapping of a 1,000,000-extent file.
* ``memory``: peak memory of a process that builds a 1,000,000-extent file,
  per extent, against the same process before building it.
"""

from __future__ import annotations

import bisect
import contextlib
import cProfile
import io
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.table import Row, ratio

COMMANDS = 20_000
SEED = 1
KIB = 1024
WIDE_UNIT = 64 * KIB  # the x16 script: 64 KiB units instead of 4 KiB


def script_text(commands: int = COMMANDS, seed: int = SEED, unit: int = 4 * KIB) -> str:
    """The random script: 4 KiB-aligned ranges inside the first 128 MiB of one file,
    each 1 to 16 ``unit``s long (``WIDE_UNIT``: the same script touching 16x the pages)."""
    rnd = random.Random(seed)
    lines = [
        "%title random pwrite/pread/fpunch/falloc",
        "%kernel mainline",
        "%fs xfs size=1g",
        "open -f data",
    ]
    for _ in range(commands):
        op = rnd.choices(["pwrite", "pread", "fpunch", "falloc"], [4, 3, 2, 1])[0]
        offset = rnd.randrange(0, 128 * 1024 * 1024 // 4096) * 4096
        length = rnd.randrange(1, 17) * unit
        if op == "falloc" and rnd.random() < 0.3:
            op = "falloc -k"
        lines.append(f"{op} {offset} {length}")
    return "\n".join(lines) + "\n"


def _best_of(runs: int, action: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_script(runs: int = 3) -> dict[str, Any]:
    """The 20,000-command script against xfs_io, and the same script touching 16x the pages
    (``WIDE_UNIT``) against it: the engine's cost should grow sub-linearly in pages."""
    with tempfile.TemporaryDirectory() as tmp:
        path, wide = Path(tmp) / "random.scenario", Path(tmp) / "wide.scenario"
        path.write_text(script_text())
        wide.write_text(script_text(unit=WIDE_UNIT))

        def run_cli(scenario: Path) -> None:
            cli = [sys.executable, "-m", "mapviz", "run", "--brief", str(scenario)]
            subprocess.run(cli, stdout=subprocess.DEVNULL, check=True)

        mapviz_s = _best_of(runs, lambda: run_cli(path))
        wide_s = _best_of(runs, lambda: run_cli(wide))
        real_s, why = _real_kernel_seconds(path.read_text(), runs)
    result: dict[str, Any] = {
        "commands": COMMANDS,
        "mapviz_s": round(mapviz_s, 3),
        "wide": {
            "unit_kib": WIDE_UNIT // KIB,
            "mapviz_s": round(wide_s, 3),
            "ratio_to_4k": round(wide_s / mapviz_s, 2),
            "goal": "< 16x (sub-linear in pages touched)",
        },
    }
    if real_s is None:
        result["baseline"] = f"skipped: {why}"
    else:
        result.update(
            real_kernel_s=round(real_s, 3), ratio=round(mapviz_s / real_s, 2), goal="<= 1.0x"
        )
    return result


def _real_kernel_seconds(text: str, runs: int) -> tuple[float | None, str]:
    """xfs_io running the same commands on a fresh loop-mounted XFS (needs root)."""
    if os.geteuid() != 0:
        return None, "needs root for a loop-mounted XFS"
    for tool in ("xfs_io", "mkfs.xfs", "mount", "umount"):
        if shutil.which(tool) is None:
            return None, f"{tool} is not installed"
    if not os.path.exists("/dev/loop-control"):
        return None, "no loop devices"
    commands = (
        "\n".join(line for line in text.splitlines() if line and not line.startswith(("%", "open")))
        + "\n"
    )
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        image, mount = Path(tmp) / "img", Path(tmp) / "mnt"
        mount.mkdir()
        for _ in range(runs):
            with open(image, "wb") as f:
                f.truncate(1 << 30)
            subprocess.run(["mkfs.xfs", "-q", "-f", str(image)], check=True)
            subprocess.run(["mount", "-o", "loop", str(image), str(mount)], check=True)
            try:
                start = time.perf_counter()
                subprocess.run(
                    ["xfs_io", "-f", str(mount / "data")],
                    input=commands.encode(),
                    stdout=subprocess.DEVNULL,
                    check=True,
                )
                times.append(time.perf_counter() - start)
            finally:
                subprocess.run(["umount", str(mount)], check=True)
                image.unlink()
    return min(times), ""


def profile(top: int = 20) -> str:
    """``mapviz run --brief`` of the 20,000-command script under cProfile, in this process.

    The functions that take the most time, twice: by cumulative time (where
    the time goes, callees included) and by own time (where it is spent).
    ``python -m benchmarks --only engine --profile`` prints it.
    """
    from mapviz.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.scenario"
        path.write_text(script_text())
        profiler = cProfile.Profile()
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            profiler.runcall(main, ["run", "--brief", str(path)])
    out = io.StringIO()
    for order, title in (("cumulative", "cumulative time"), ("tottime", "own time")):
        out.write(f"mapviz run --brief, {COMMANDS:,}-command script: top {top} by {title}\n")
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(top)
    return out.getvalue()


def _extent_map(n: int) -> Any:
    from mapviz.core.extents import ExtentMap, ExtentState

    emap = ExtentMap()
    for i in range(n):  # every other block, alternating states: n separate extents
        emap.insert(2 * i, 1, 3 * i, ExtentState.WRITTEN if i % 2 else ExtentState.UNWRITTEN)
    return emap


def bench_lookups(
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000, 1_000_000), lookups: int = 200_000
) -> dict[str, Any]:
    rows = []
    for n in sizes:
        started = time.perf_counter()
        emap = _extent_map(n)
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        starts: list[int] = []
        physical: list[int] = []
        for i in range(n):  # the baseline's build: the same inserts into two sorted lists
            at = bisect.bisect_right(starts, 2 * i)
            starts.insert(at, 2 * i)
            physical.insert(at, 3 * i)
        bisect_build_s = time.perf_counter() - started
        rnd = random.Random(n)
        probes = [rnd.randrange(0, 2 * n) for _ in range(lookups)]

        def mapviz_find(emap: Any = emap, probes: list[int] = probes) -> None:
            find = emap.find
            for block in probes:
                find(block)

        def bisect_find(
            starts: list[int] = starts, probes: list[int] = probes, physical: list[int] = physical
        ) -> None:
            for block in probes:
                i = bisect.bisect_right(starts, block) - 1
                if i >= 0 and block < starts[i] + 1:
                    physical[i]

        ours = _best_of(3, mapviz_find)
        base = _best_of(3, bisect_find)
        rows.append(
            {
                "extents": n,
                "lookups_per_s": int(lookups / ours),
                "bisect_lookups_per_s": int(lookups / base),
                "ratio": round(ours / base, 2),
                "build_s": round(build_s, 3),
                "bisect_build_s": round(bisect_build_s, 3),
            }
        )
    growth = rows[-1]["lookups_per_s"] and rows[0]["lookups_per_s"] / rows[-1]["lookups_per_s"]
    return {"rows": rows, "slowdown_1k_to_1M": round(growth, 2), "goal": ">= 500k lookups/s"}


def bench_faults(n: int = 1_000_000, faults: int = 20_000) -> dict[str, Any]:
    """Read faults at random pages of a mapping of an n-extent file (page cache)."""
    from mapviz.core.extents import ExtentState
    from mapviz.core.memory import Mapping
    from mapviz.core.ops.fault import fault
    from mapviz.core.simulation import Simulation
    from mapviz.scenario.syntax import FsConfig

    sim = Simulation(FsConfig("xfs", 4096, 16 << 30), "mainline", record_files=False)
    machine = sim.machine
    inode = machine.fs.new_inode("big", owner=0)
    blocks = machine.fs.free.allocate(n, goal=0)  # one big run: place extents inside it
    base = blocks[0][0]
    for i in range(n):
        inode.data.insert(
            2 * i, 1, base + 2 * i, ExtentState.WRITTEN if i % 2 else ExtentState.UNWRITTEN
        )
    inode.size = 2 * n * 4096
    mapping = Mapping(1, "app", 0x7F0000000000, inode.size, "big", 0, True, True, False, True)
    machine.processes["app"].mappings.append(mapping)
    rnd = random.Random(2)
    pages = [rnd.randrange(0, 2 * n) for _ in range(faults)]
    first = mapping.start // 4096
    start = time.perf_counter()
    for page in pages:
        if first + page not in mapping.ptes:
            fault(machine, mapping, first + page, write=False)
        machine.events.clear()
    seconds = time.perf_counter() - start
    return {"extents": n, "faults": faults, "faults_per_s": int(faults / seconds)}


# VmHWM/VmRSS, not ru_maxrss: ru_maxrss survives exec, so a child would report its
# parent's peak (the lookup benchmark's big maps) instead of its own.
_MEMORY_CHILD = """
import sys
from mapviz.core.extents import ExtentMap, ExtentState
def kb(field):
    status = open('/proc/self/status').read()
    return int(status.split(field + ':')[1].split()[0]) * 1024
before = kb('VmRSS')
emap = ExtentMap()
n = int(sys.argv[1])
for i in range(n):
    emap.insert(2 * i, 1, 3 * i, ExtentState.WRITTEN if i % 2 else ExtentState.UNWRITTEN)
assert len(emap) == n and emap.find(2 * (n // 2)) is not None
print(before, kb('VmRSS'), kb('VmHWM'))
"""


def bench_memory(n: int = 1_000_000) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(n)], capture_output=True, text=True, check=True
    )
    before, after, peak = (int(x) for x in out.stdout.split())
    return {
        "extents": n,
        "process_peak_mb": round(peak / 2**20, 1),
        "baseline_process_mb": round(before / 2**20, 1),
        "bytes_per_extent": round((after - before) / n, 1),
        "goal": "<= 200 B/extent; process <= 300 MB",
    }


def run() -> dict[str, Any]:
    """Every engine benchmark, for the unified bench command."""
    return {
        "script": bench_script(),
        "lookups": bench_lookups(),
        "faults": bench_faults(),
        "memory": bench_memory(),
    }


def rows(result: dict[str, Any]) -> list[Row]:
    """The engine's lines of the benchmark table."""
    script, memory = result["script"], result["memory"]
    largest = result["lookups"]["rows"][-1]
    bisect_s = 1 / largest["bisect_lookups_per_s"]
    fault_s = 1 / result["faults"]["faults_per_s"]
    n = f"{largest['extents']:,}-extent file"
    if "ratio" in script:
        against = f"xfs_io on loop XFS {script['real_kernel_s']:.2f} s"
        judged = (ratio(script["mapviz_s"], script["real_kernel_s"]), script["ratio"] <= 1.0)
    else:
        against, judged = script["baseline"], ("", None)
    wide = script["wide"]
    table = [
        Row(
            f"mapviz run, {script['commands']:,}-command script",
            f"{script['mapviz_s']:.2f} s",
            against,
            judged[0],
            "<= 1.0x",
            judged[1],
        ),
        Row(
            f"the same script, {wide['unit_kib']} KiB units (pages x16)",
            f"{wide['mapviz_s']:.2f} s",
            f"4 KiB units {script['mapviz_s']:.2f} s",
            ratio(wide["mapviz_s"], script["mapviz_s"]),
            "< 16x (sub-linear)",
            wide["ratio_to_4k"] < 16,
        ),
    ]
    table.append(
        Row(
            f"{n}: build",
            f"{largest['build_s']:.2f} s",
            f"bisect.insort lists {largest['bisect_build_s']:.2f} s",
            ratio(largest["build_s"], largest["bisect_build_s"]),
            "-",
            None,
        )
    )
    table.append(
        Row(
            f"{n}: lookups",
            f"{largest['lookups_per_s'] / 1e3:,.0f}k/s",
            f"bisect {largest['bisect_lookups_per_s'] / 1e3:,.0f}k/s",
            f"{largest['ratio']:.2f}x the time",
            ">= 500k/s",
            largest["lookups_per_s"] >= 500_000,
        )
    )
    table.append(
        Row(
            f"{n}: read faults",
            f"{result['faults']['faults_per_s'] / 1e3:,.1f}k/s",
            "one bisect lookup",
            ratio(fault_s, bisect_s),
            "-",
            None,
        )
    )
    table.append(
        Row(
            f"{n}: memory",
            f"{memory['bytes_per_extent']:.0f} B/extent (peak {memory['process_peak_mb']:.0f} MB)",
            f"process before {memory['baseline_process_mb']:.0f} MB",
            "",
            "<= 200 B/extent",
            memory["bytes_per_extent"] <= 200,
        )
    )
    return table


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
