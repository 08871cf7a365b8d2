"""``mapviz run --json`` of a 10,000-line scenario, against the text transcript of the same run.

The scenario is random but shaped like real use: buffered writes and reads,
punches and preallocations over the first 64 MiB of a file, a mapping of it
that is read and written through and moved now and then, an fsync now and
then, and a second file appended to.  Each form is a fresh ``mapviz run``
process writing to a file:

* ``text``: the transcript (the baseline);
* ``--json``: SCENARIO.md's schema 1, every file after every step;
* ``--json --changes``: only the files each step changed.

Reported: seconds, the process's peak memory and the output's size, each as
a ratio to the transcript's in the same run.  Run it alone with
``python -m benchmarks.bench_json [LINES]``.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.table import Row, ratio

LINES = 10_000
SEED = 1
PAGE = 4096
FORMS = {"text": [], "--json": ["--json"], "--json --changes": ["--json", "--changes"]}


def script_text(lines: int = LINES, seed: int = SEED) -> str:
    """The random scenario: ``lines`` lines, header included."""
    rnd = random.Random(seed)
    out = [
        "%title random pwrite/pread/fpunch/falloc/mmap",
        "%kernel mainline",
        "%fs xfs size=1g",
        "open -f log",
        "open -f data",
    ]
    mapped: tuple[int, int] | None = None  # (offset, length) of data's mapping
    kinds = ["pwrite", "pread", "fpunch", "falloc", "mmap", "touch", "munmap", "fsync", "log"]
    while len(out) < lines:
        kind = rnd.choices(kinds, [8, 6, 4, 2, 1, 6, 1, 1, 1])[0]
        offset = rnd.randrange(0, 64 * 1024 * 1024 // PAGE) * PAGE
        length = rnd.randrange(1, 17) * PAGE
        if kind == "mmap":
            if mapped:
                out.append("munmap")
            mapped = (offset, 16 * length)
            out.append(f"mmap {offset} {16 * length}")
        elif kind == "touch" and mapped:
            start = mapped[0] + rnd.randrange(0, mapped[1] // PAGE) * PAGE
            size = min(rnd.randrange(1, 9) * PAGE, mapped[0] + mapped[1] - start)
            out.append(f"{rnd.choice(['mread', 'mwrite'])} {start} {size}")
        elif kind == "munmap" and mapped:
            out.append("munmap")
            mapped = None
        elif kind == "fsync":
            out.append("fsync")
        elif kind == "log":
            out += ["file 0", f"pwrite {rnd.randrange(0, 4096) * PAGE} 4k", "file 1"]
        elif kind in ("pwrite", "pread", "fpunch", "falloc"):
            if kind == "falloc" and rnd.random() < 0.3:
                kind = "falloc -k"
            out.append(f"{kind} {offset} {length}")
    return "\n".join(out[:lines]) + "\n"


# The child reports its own peak (VmHWM) on the way out: ru_maxrss survives exec, so a
# child of this process would report the parent's peak instead of its own.
_CHILD = """
import atexit, runpy, sys
def peak():
    status = open("/proc/self/status").read()
    sys.stderr.write("VmHWM " + status.split("VmHWM:")[1].split()[0] + "\\n")
atexit.register(peak)
sys.argv = ["mapviz", *sys.argv[1:]]
runpy.run_module("mapviz", run_name="__main__")
"""


def _run(argv: list[str], output: Path) -> tuple[float, int]:
    """Seconds and peak resident bytes of one ``mapviz`` process writing to ``output``."""
    with open(output, "wb") as out:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, *argv], stdout=out, stderr=subprocess.PIPE, check=False
        )
        seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: an %expect failed; there are none here
        raise RuntimeError(f"mapviz {' '.join(argv)} exited {done.returncode}: {done.stderr!r}")
    peak = done.stderr.decode().rsplit("VmHWM ", 1)[1].split()[0]
    return seconds, int(peak) * 1024


def run(lines: int = LINES) -> dict[str, Any]:
    """Each form once, one after the other (the --json of the old code took minutes)."""
    results: dict[str, Any] = {"lines": lines}
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "random.scenario"
        scenario.write_text(script_text(lines))
        for form, flags in FORMS.items():
            output = Path(tmp) / "out"
            seconds, peak = _run(["run", *flags, str(scenario)], output)
            results[form] = {
                "seconds": round(seconds, 2),
                "peak_mb": round(peak / 2**20, 1),
                "output_mb": round(output.stat().st_size / 1e6, 1),
            }
            output.unlink()
    return results


def rows(result: dict[str, Any]) -> list[Row]:
    """Time, peak memory and size of each JSON form, against the transcript."""
    text = result["text"]
    table = []
    for form in ("--json", "--json --changes"):
        ours = result[form]
        for what, unit, key in (
            ("time", "s", "seconds"),
            ("peak memory", "MB", "peak_mb"),
            ("output", "MB", "output_mb"),
        ):
            table.append(
                Row(
                    f"mapviz run {form}, {result['lines']:,}-line script: {what}",
                    f"{ours[key]:,} {unit}",
                    f"transcript {text[key]:,} {unit}",
                    ratio(ours[key], text[key]),
                    "-",
                    None,
                )
            )
    return table


if __name__ == "__main__":
    import json

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else LINES), indent=1))
