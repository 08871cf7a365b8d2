"""The picture at scale: exported pages of huge files and long scenarios, against ``tour``.

Every export is ``python -m mapviz ...`` run as a fresh process (wall time,
CPU time and peak RSS from ``wait4``), and the baseline is the bundled
``tour`` exported the same way in the same run:

* ``real``: a REAL file of 10,000 extents (bench_fiemap's every-other-block
  preallocation), read with ``mapviz fiemap --scenario --fs xfs``, plus
  ``mmap -D 0 64k`` and ``fpunch 0 4k``, exported.  Goal: <= 3x tour's
  export time, <= 2.5 MB.  Rounds interleaved with tour's; medians.
* ``fiemap``: ``mapviz fiemap F --html OUT`` of a real 100,000-extent file.
  Goal: <= 2.5 MB; its time is reported against tour's.
* ``seal``: the million-extent scenario below through
  :meth:`Simulation.from_scenario` (in a child process, to keep this one
  small): the SEAL events of the mmap step, and its time.  Goal: 2 (the
  inode's seal and one summary), not one per extent.
* ``million``: a scenario of 1,000,000 ``%extent`` lines plus ``mmap -D``,
  exported.  Goal: <= 10x tour's export time, peak RSS <= 1 GB.
* ``steps``: scenarios of 1,000 and 10,000 random pwrite/pread/fpunch/falloc
  commands on a 1 MiB range, exported: size and time, and MB per 1,000 steps.

Every part that cannot run (no filesystem with FIEMAP, a failed or timed-out
export) becomes a "failed" line saying why; the others still run.  The real
files are freed in the background (ext4 takes minutes over 100,000 extents).

Run ``python -m benchmarks.bench_picture [real|fiemap|million|seal|steps ...]``
(all by default).  The module costs about 5.5 minutes of CPU (8.5 minutes of
wall time on a 2-core machine under a stress test), most of it the
million-extent file (seal and export, ~100 s of CPU each) and the
10,000-command export (~65 s).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks.bench_fiemap import _disk_dir, build_file
from benchmarks.table import Row, ratio

ROOT = Path(__file__).resolve().parent.parent
PAGE = 4096
SIZE_GOAL = 2.5e6  # bytes of exported HTML
REAL_EXTENTS = 10_000
REAL_GOAL = 3.0  # x tour's export time
FIEMAP_EXTENTS = 100_000
MILLION = 1_000_000
MILLION_GOAL = 10.0  # x tour's export time
MEMORY_GOAL = 1 << 30  # peak RSS, bytes
SEAL_GOAL = 2  # the inode's seal + one summary of its extents
STEPS = (1_000, 10_000)
STEP_SPAN = 1 << 20  # the random commands' offsets fall in the file's first MiB
ROUNDS = 3  # of the tour / 10,000-extent exports, interleaved
SHORT_TIMEOUT = 300.0  # seconds, for every export but the long ones
LONG_TIMEOUT = 600.0  # the million-extent export and seal, the 10,000-step export

TAIL = ("mmap -D 0 64k", "%expect ok", "fpunch 0 4k")
"""What the 10,000-extent file gets after its map: a MAP_DIRECT mapping seals it,
then a punch the seal refuses."""


# --- child processes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Child:
    """How one child process went: times, peak memory, exit status and its output."""

    seconds: float  # wall
    cpu_seconds: float  # user + system
    peak_rss: int  # bytes (ru_maxrss)
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failure(self, what: str) -> str:
        """Why the child failed, in one line."""
        if self.returncode is None:
            return f"{what}: stopped after {self.seconds:.0f} s (timeout)"
        last = (self.stderr.strip().splitlines() or [f"exit status {self.returncode}"])[-1]
        return f"{what}: {last[:200]}"


def run_child(argv: list[str], timeout: float, scratch: Path) -> Child:
    """Run ``argv`` to its end or ``timeout``; measure it with ``wait4`` (its rusage alone).

    Output goes to files in ``scratch`` (no pipe to drain); the child gets a
    session of its own, so the timeout kills all of it.
    """
    out_path, err_path = scratch / "child.out", scratch / "child.err"
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        killed = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            elapsed = time.perf_counter() - started
            if pid:
                break
            if elapsed > timeout and not killed:
                os.killpg(process.pid, signal.SIGKILL)  # our child's own session, nothing else
                killed = True
            time.sleep(min(0.05, max(0.002, elapsed / 200)))  # <= 0.5% of the wall time
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Child(
        seconds=elapsed,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss=usage.ru_maxrss * 1024,
        returncode=None if killed else process.returncode,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
    )


def mapviz(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "mapviz", *map(str, args)]


def export(scenario: str | Path, output: Path, scratch: Path, timeout: float) -> Child:
    """``mapviz export SCENARIO -o OUTPUT``; a failed export raises with its message."""
    child = run_child(mapviz("export", scenario, "-o", output, "--force"), timeout, scratch)
    if not child.ok:
        raise RuntimeError(child.failure(f"mapviz export {Path(scenario).name}"))
    return child


def measured(child: Child, output: Path) -> dict[str, Any]:
    return {
        "seconds": child.seconds,
        "cpu_seconds": child.cpu_seconds,
        "peak_rss": child.peak_rss,
        "html_bytes": output.stat().st_size,
        "warnings": [line for line in child.stderr.splitlines() if "warning" in line],
    }


def medians(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Median times over rounds; the largest peak RSS; the page of the last round."""
    return {
        "seconds": statistics.median(s["seconds"] for s in samples),
        "cpu_seconds": statistics.median(s["cpu_seconds"] for s in samples),
        "peak_rss": max(s["peak_rss"] for s in samples),
        "html_bytes": samples[-1]["html_bytes"],
        "warnings": samples[-1]["warnings"],
        "rounds": [round(s["seconds"], 3) for s in samples],
    }


# --- scenarios ---------------------------------------------------------------------------------


def real_scenario(path: Path, scratch: Path) -> tuple[str, str]:
    """The prologue ``mapviz fiemap PATH --scenario --fs xfs`` prints, and how it was made.

    Without ``--fs`` (an older mapviz), ``--scenario`` and the ``%fs`` line
    rewritten to xfs.
    """
    child = run_child(mapviz("fiemap", path, "--scenario", "--fs", "xfs"), SHORT_TIMEOUT, scratch)
    if child.ok:
        return child.stdout, "fiemap --scenario --fs xfs"
    if "unrecognized arguments" not in child.stderr:
        raise RuntimeError(child.failure("mapviz fiemap --scenario --fs xfs"))
    child = run_child(mapviz("fiemap", path, "--scenario"), SHORT_TIMEOUT, scratch)
    if not child.ok:
        raise RuntimeError(child.failure("mapviz fiemap --scenario"))
    lines = [
        ("%fs xfs " + line.split(None, 2)[2]) if line.startswith("%fs ") else line
        for line in child.stdout.splitlines()
    ]
    return "\n".join(lines) + "\n", "fiemap --scenario, %fs rewritten to xfs"


def with_map_direct(prologue: str, tail: tuple[str, ...]) -> str:
    """``prologue`` plus ``tail``, with ``dax`` on ``%fs`` if the model needs it for mmap -D."""
    lines = prologue.rstrip("\n").splitlines()
    if _map_direct_needs_dax():
        lines = [
            line + " dax" if line.startswith("%fs ") and " dax" not in line else line
            for line in lines
        ]
    if not any(line.startswith("%kernel ") for line in lines):
        lines.insert(0, "%kernel map-direct-v5")
    return "\n".join([*lines, *tail]) + "\n"


def _map_direct_needs_dax() -> bool:
    """Whether ``mmap -D`` on a non-DAX simulated XFS fails (then the pages ask for dax)."""
    from mapviz.core.simulation import Simulation
    from mapviz.scenario import parse_scenario

    probe = parse_scenario(
        "%kernel map-direct-v5\n%fs xfs\nopen -f f\ntruncate 64k\n%extent 0 4k\nmmap -D 0 64k\n"
    )
    return Simulation.from_scenario(probe).steps[-1].result != "ok"


def million_lines(extents: int, size: int = 16 << 30) -> Iterator[str]:
    """A scenario of ``extents`` one-block extents, every other block in the file and on disk.

    Physical addresses skip the simulated mkfs's own metadata (AG headers,
    log), as a real file's map would.
    """
    from mapviz.core.fs import mkfs_geometry

    metadata = sorted(mkfs_geometry("xfs", size, PAGE, True).metadata)
    yield "%kernel map-direct-v5"
    yield f"%fs xfs blocksize=4k size={size >> 30}g" + (" dax" if _map_direct_needs_dax() else "")
    yield "open -f big"
    yield f"truncate {2 * extents * PAGE}"
    block, index = 0, 0
    for n in range(extents):
        while index < len(metadata) and block >= sum(metadata[index]):
            index += 1
        if index < len(metadata) and block >= metadata[index][0]:
            block = sum(metadata[index])
        yield f"%extent {8 * n}k 4k {4 * block}k"
        block += 2
    yield "mmap -D 0 64k"


def random_lines(steps: int, seed: int = 5) -> Iterator[str]:
    """``steps`` random pwrite/pread/fpunch/falloc commands, 4-64 KiB each, in the first MiB."""
    rng = random.Random(seed)
    yield "%kernel mainline"
    yield "%fs xfs blocksize=4k size=64m"
    yield "open -f data"
    for _ in range(steps):
        command = rng.choice(("pwrite -q", "pread -q", "fpunch", "falloc"))
        offset = rng.randrange(STEP_SPAN // PAGE) * PAGE
        yield f"{command} {offset} {rng.randrange(1, 17) * PAGE}"


def write_lines(path: Path, lines: Iterator[str]) -> Path:
    with path.open("w") as out:
        for line in lines:
            out.write(line + "\n")
    return path


def seal_probe(path: str) -> dict[str, Any]:
    """In this process: the scenario at ``path`` up to its mmap, then the mmap step alone.

    Returns the seconds of parse, simulate (every item before the mmap) and
    the mmap step, the mmap step's events by kind, and the peak RSS.
    """
    import resource

    from mapviz.core.events import EventKind
    from mapviz.core.simulation import Simulation
    from mapviz.scenario import load_scenario
    from mapviz.scenario.syntax import Command

    clock = time.perf_counter()
    scenario = load_scenario(path)
    parsed = time.perf_counter() - clock
    at = max(
        i
        for i, item in enumerate(scenario.items)
        if isinstance(item, Command) and item.name == "mmap"
    )
    clock = time.perf_counter()
    sim = Simulation.from_scenario(replace(scenario, items=scenario.items[:at]))
    simulated = time.perf_counter() - clock
    clock = time.perf_counter()
    step = sim.apply(scenario.items[at])
    mapped = time.perf_counter() - clock
    assert step is not None
    kinds: dict[str, int] = {}
    for event in step.events:
        kinds[event.kind.value] = kinds.get(event.kind.value, 0) + 1
    return {
        "parse_s": parsed,
        "simulate_s": simulated,
        "mmap_s": mapped,
        "mmap_result": step.result,
        "seal_events": kinds.get(EventKind.SEAL.value, 0),
        "events": kinds,
        "extents": len(sim.machine.fs.files[step.file or "big"].data),
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


# --- the benchmarks ----------------------------------------------------------------------------


class Reaper:
    """Removes the fragmented files in the background; :meth:`join` waits for all of it.

    Freeing a file of 100,000 one-block extents takes ext4 minutes of I/O wait
    (little CPU: 1.6 s of system time in 130 s) on a busy disk; nothing needs
    to wait for it but the end of :func:`run`.
    """

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def remove(self, directory: Path) -> None:
        thread = threading.Thread(
            target=shutil.rmtree,
            args=(directory,),
            kwargs={"ignore_errors": True},
            name=f"rm {directory}",
        )
        thread.start()
        self.threads.append(thread)

    def join(self) -> float:
        """Wait for every removal; return the seconds waited."""
        started = time.perf_counter()
        for thread in self.threads:
            thread.join()
        return time.perf_counter() - started


def _fragmented(reaper: Reaper) -> Path:
    """A fresh directory on a filesystem with FIEMAP (removed through ``reaper``)."""
    try:
        return _disk_dir()
    except SystemExit as error:  # bench_fiemap's way of saying "no such filesystem here"
        raise RuntimeError(str(error)) from None


def run_real(scratch: Path, reaper: Reaper, tour: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A real 10,000-extent file's map + mmap -D + fpunch, exported; rounds interleaved with tour's.

    ``tour`` exports tour once and returns its numbers (they are collected by
    the caller, for every other benchmark's baseline).
    """
    disk = _fragmented(reaper)
    try:
        build_file(disk / "fragmented", REAL_EXTENTS)
        prologue, how = real_scenario(disk / "fragmented", scratch)
        extents = sum(line.startswith("%extent ") for line in prologue.splitlines())
        scenario = scratch / "real.scenario"
        scenario.write_text(with_map_direct(prologue, TAIL))
        output = scratch / "real.html"
        samples = []
        for _ in range(ROUNDS):
            tour()
            samples.append(measured(export(scenario, output, scratch, SHORT_TIMEOUT), output))
        return {
            "extents": extents,
            "how": how,
            "fs_line": next(x for x in prologue.splitlines() if x.startswith("%fs ")),
            **medians(samples),
        }
    finally:
        reaper.remove(disk)


def run_fiemap_html(scratch: Path, reaper: Reaper) -> dict[str, Any]:
    """``mapviz fiemap F --html OUT`` of a real 100,000-extent file."""
    disk = _fragmented(reaper)
    try:
        path = disk / "fragmented"
        build_file(path, FIEMAP_EXTENTS)
        output = scratch / "fiemap.html"
        child = run_child(
            mapviz("fiemap", path, "--html", output, "--force"), SHORT_TIMEOUT, scratch
        )
        if not child.ok:
            raise RuntimeError(child.failure("mapviz fiemap --html"))
        return {"extents": FIEMAP_EXTENTS, **measured(child, output)}
    finally:
        reaper.remove(disk)


def million_scenario(scratch: Path) -> Path:
    """The million-extent scenario, written once per run."""
    path = scratch / "million.scenario"
    return path if path.exists() else write_lines(path, million_lines(MILLION))


def run_million(scratch: Path) -> dict[str, Any]:
    """1,000,000 ``%extent`` lines + mmap -D, exported by the CLI."""
    scenario = million_scenario(scratch)
    output = scratch / "million.html"
    return {"extents": MILLION, **measured(export(scenario, output, scratch, LONG_TIMEOUT), output)}


def run_seal(scratch: Path) -> dict[str, Any]:
    """The mmap step of the million-extent scenario, from Simulation.from_scenario (a child)."""
    scenario = million_scenario(scratch)
    code = (
        "import json, sys; from benchmarks.bench_picture import seal_probe; "
        "print(json.dumps(seal_probe(sys.argv[1])))"
    )
    child = run_child([sys.executable, "-c", code, str(scenario)], LONG_TIMEOUT, scratch)
    if not child.ok:
        raise RuntimeError(child.failure("seal probe"))
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return {**result, "child_seconds": child.seconds, "child_cpu_seconds": child.cpu_seconds}


def run_steps(scratch: Path) -> dict[str, Any]:
    """Scenarios of 1,000 and 10,000 random commands, exported: size and time per step."""
    result: dict[str, Any] = {"span": STEP_SPAN}
    for steps in STEPS:
        scenario = write_lines(scratch / f"steps{steps}.scenario", random_lines(steps))
        output = scratch / f"steps{steps}.html"
        timeout = SHORT_TIMEOUT if steps <= 1000 else LONG_TIMEOUT
        result[str(steps)] = measured(export(scenario, output, scratch, timeout), output)
    small, large = (result[str(steps)] for steps in STEPS)
    per_thousand = 1000 / (STEPS[1] - STEPS[0])
    result["mb_per_1000_steps"] = (large["html_bytes"] - small["html_bytes"]) / 1e6 * per_thousand
    result["seconds_per_1000_steps"] = (large["seconds"] - small["seconds"]) * per_thousand
    return result


PARTS = ("real", "fiemap", "seal", "million", "steps")
"""In the order they run: the 100,000-extent file is freed while ``seal`` runs (no time goal)."""


def run(parts: tuple[str, ...] = PARTS) -> dict[str, Any]:
    """Every part against tour's export in the same run; a part that fails records why."""
    scratch = Path(tempfile.mkdtemp(prefix="mapviz-picture-"))
    reaper = Reaper()
    tour_samples: list[dict[str, Any]] = []

    def tour() -> dict[str, Any]:
        output = scratch / "tour.html"
        sample = measured(export("tour", output, scratch, SHORT_TIMEOUT), output)
        tour_samples.append(sample)
        return sample

    result: dict[str, Any] = {}
    try:
        tour()  # warm: imports and page cache, for everyone after
        tour_samples.clear()
        parts_run: dict[str, Callable[[], dict[str, Any]]] = {
            "real": lambda: run_real(scratch, reaper, tour),
            "fiemap": lambda: run_fiemap_html(scratch, reaper),
            "million": lambda: run_million(scratch),
            "seal": lambda: run_seal(scratch),
            "steps": lambda: run_steps(scratch),
        }
        for name in (part for part in PARTS if part in parts):
            started = time.perf_counter()
            try:
                result[name] = parts_run[name]()
            except Exception as error:  # one part failing must not hide the others
                result[name] = {"error": f"{type(error).__name__}: {error}"}
            result[name]["part_seconds"] = round(time.perf_counter() - started, 1)
            print(f"   {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        if len(tour_samples) < ROUNDS:  # "real" did not run (or not through): tour alone
            for _ in range(ROUNDS - len(tour_samples)):
                tour()
        result["tour"] = medians(tour_samples)
    except Exception as error:
        result["tour"] = {"error": f"{type(error).__name__}: {error}"}
    finally:
        result["cleanup_wait_seconds"] = round(reaper.join(), 1)
        shutil.rmtree(scratch, ignore_errors=True)
    return result


# --- the table ---------------------------------------------------------------------------------


def _mb(size: float) -> str:
    return f"{size / 1e6:.2f} MB"


def _s(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 10 else f"{seconds:.2f} s"


def _timed(part: dict[str, Any]) -> str:
    return f"{_s(part['seconds'])} (cpu {_s(part['cpu_seconds'])})"


def rows(result: dict[str, Any]) -> list[Row]:
    """One line per goal; a part that could not run says why on its lines."""
    tour = result["tour"]
    table: list[Row] = []
    if "error" in tour:
        return [Row("picture: tour export (the baseline)", "failed", tour["error"], "", "", False)]
    tour_time = f"tour export {_timed(tour)}"
    tour_size = f"tour page {_mb(tour['html_bytes'])}"

    def failed(name: str, goal: str, part: dict[str, Any]) -> Row:
        return Row(name, "failed", part["error"][:160], "", goal, False)

    real = result.get("real")
    name = f"real {REAL_EXTENTS:,}-extent map + mmap -D + fpunch: export"
    if real and "error" in real:
        table.append(failed(name, f"<= {REAL_GOAL:g}x tour, <= 2.5 MB", real))
    elif real:
        name = f"real {real['extents']:,}-extent map + mmap -D + fpunch: export"
        table.append(
            Row(
                f"{name} time",
                _timed(real) + (f"; {real['warnings'][0][:80]}" if real["warnings"] else ""),
                tour_time,
                ratio(real["seconds"], tour["seconds"]),
                f"<= {REAL_GOAL:g}x",
                real["seconds"] <= REAL_GOAL * tour["seconds"] and not real["warnings"],
            )
        )
        table.append(
            Row(
                f"{name} size",
                _mb(real["html_bytes"]),
                tour_size,
                ratio(real["html_bytes"], tour["html_bytes"]),
                "<= 2.5 MB",
                real["html_bytes"] <= SIZE_GOAL,
            )
        )
    fiemap = result.get("fiemap")
    name = f"mapviz fiemap --html, real {FIEMAP_EXTENTS:,} extents"
    if fiemap and "error" in fiemap:
        table.append(failed(name, "<= 2.5 MB", fiemap))
    elif fiemap:
        table.append(
            Row(
                f"{name}: size",
                _mb(fiemap["html_bytes"]),
                tour_size,
                ratio(fiemap["html_bytes"], tour["html_bytes"]),
                "<= 2.5 MB",
                fiemap["html_bytes"] <= SIZE_GOAL,
            )
        )
        table.append(
            Row(
                f"{name}: time",
                _timed(fiemap),
                tour_time,
                ratio(fiemap["seconds"], tour["seconds"]),
                "-",
                None,
            )
        )
    million = result.get("million")
    name = f"{MILLION:,} %extent + mmap -D: export"
    if million and "error" in million:
        table.append(failed(name, f"<= {MILLION_GOAL:g}x tour, <= 1 GB", million))
    elif million:
        table.append(
            Row(
                f"{name} time",
                f"{_timed(million)}, {_mb(million['html_bytes'])}",
                tour_time,
                ratio(million["seconds"], tour["seconds"]),
                f"<= {MILLION_GOAL:g}x",
                million["seconds"] <= MILLION_GOAL * tour["seconds"],
            )
        )
        table.append(
            Row(
                f"{name} memory",
                f"peak RSS {million['peak_rss'] / 2**20:,.0f} MiB",
                f"tour {tour['peak_rss'] / 2**20:,.0f} MiB",
                ratio(million["peak_rss"], tour["peak_rss"]),
                "<= 1 GiB",
                million["peak_rss"] <= MEMORY_GOAL,
            )
        )
    seal = result.get("seal")
    name = f"v5 seal of {MILLION:,} extents: SEAL events"
    if seal and "error" in seal:
        table.append(failed(name, f"== {SEAL_GOAL}", seal))
    elif seal:
        table.append(
            Row(
                name,
                f"{seal['seal_events']:,} (mmap step {_s(seal['mmap_s'])}, {seal['mmap_result']})",
                f"one per extent: {seal['extents'] + 1:,} (the {seal['extents']:,} extents' "
                f"simulate {_s(seal['simulate_s'])})",
                "",
                f"== {SEAL_GOAL}",
                seal["seal_events"] == SEAL_GOAL and seal["mmap_result"] == "ok",
            )
        )
    steps = result.get("steps")
    if steps and "error" in steps:
        table.append(failed("random-command scenarios: export", "-", steps))
    elif steps:
        small, large = steps[str(STEPS[0])], steps[str(STEPS[1])]
        table.append(
            Row(
                f"{STEPS[0]:,} random commands: export",
                f"{_timed(small)}, {_mb(small['html_bytes'])}",
                tour_time,
                ratio(small["seconds"], tour["seconds"]),
                "-",
                None,
            )
        )
        table.append(
            Row(
                f"{STEPS[1]:,} random commands: export",
                f"{_timed(large)}, {_mb(large['html_bytes'])}",
                f"{STEPS[0]:,} commands {_s(small['seconds'])}, {_mb(small['html_bytes'])}",
                ratio(large["seconds"], small["seconds"]),
                "-",
                None,
            )
        )
        table.append(
            Row(
                f"{STEPS[1]:,} random commands: export memory",
                f"peak RSS {large['peak_rss'] / 2**20:,.0f} MiB",
                f"tour {tour['peak_rss'] / 2**20:,.0f} MiB",
                ratio(large["peak_rss"], tour["peak_rss"]),
                "<= 1 GiB",
                large["peak_rss"] <= MEMORY_GOAL,
            )
        )
        table.append(
            Row(
                "random commands: page growth",
                f"{steps['mb_per_1000_steps']:.2f} MB per 1,000 steps "
                f"({_s(steps['seconds_per_1000_steps'])})",
                f"{STEPS[0]:,} vs {STEPS[1]:,} commands",
                ratio(large["html_bytes"], small["html_bytes"]),
                "-",
                None,
            )
        )
    return table


def main(argv: list[str]) -> int:
    from benchmarks.table import text_table

    unknown = [name for name in argv if name not in PARTS]
    if unknown:
        print(f"unknown part {unknown[0]!r}; choose from {', '.join(PARTS)}", file=sys.stderr)
        return 2
    result = run(tuple(argv) or PARTS)
    print(json.dumps(result, indent=1))
    print(text_table(rows(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
