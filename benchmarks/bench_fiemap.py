"""Reading a real 100,000-extent file: mapviz versus ``filefrag -v``, in one run.

The file is built on a loop-mounted XFS made for the purpose (as root, with
xfsprogs; its image in ``/dev/shm`` when there is one, so building it does no
disk I/O), else in a temp directory on a disk filesystem, by preallocating
every other 4 KiB block of a sparse file, so no two extents can merge.  Then,
interleaved and repeated, we time:

* ``read``: :func:`mapviz.realfs.read_block_map` in this process (the import);
* ``read+json``: the same plus building the ``--json`` text;
* ``cli text``: ``python -m mapviz fiemap`` as a fresh process: xfs_io's
  ``fiemap -v`` table, holes included (200,000 lines);
* ``cli --json``: ``python -m mapviz fiemap --json`` as a fresh process;
* ``filefrag -v``: e2fsprogs' tool, the reference (also a fresh process);
* ``python -c pass``: the floor under every ``cli`` figure.

Medians are reported with their ratio to filefrag (goal: <= 1.5x).  Run it
with ``python -m benchmarks.bench_fiemap [EXTENTS]``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.table import Row
from mapviz.realfs import read_block_map
from mapviz.realfs.export import files_json

EXTENTS = 100_000
ROUNDS = 7
BLOCK = 4096


@contextlib.contextmanager
def _test_directory() -> Iterator[Path]:
    """A fresh directory on a loop-mounted XFS if this machine can make one, else on disk."""
    tools = ("mkfs.xfs", "mount", "umount")
    if os.geteuid() != 0 or not all(shutil.which(t) for t in tools):
        directory = _disk_dir()
        try:
            yield directory
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="mapviz-bench-", dir=base) as tmp:
        image, mount = Path(tmp) / "xfs.img", Path(tmp) / "mnt"
        mount.mkdir()
        with open(image, "wb") as f:
            f.truncate(2 << 30)  # sparse: 100,000 extents of every other block span 800 MiB
        subprocess.run(["mkfs.xfs", "-q", "-f", str(image)], check=True)
        subprocess.run(["mount", "-o", "loop", str(image), str(mount)], check=True)
        try:
            yield mount
        finally:
            subprocess.run(["umount", str(mount)], check=True)


def _disk_dir() -> Path:
    """A fresh directory on a filesystem that answers FIEMAP."""
    for base in (tempfile.gettempdir(), "/var/tmp", os.getcwd()):
        directory = Path(tempfile.mkdtemp(prefix="mapviz-bench-", dir=base))
        probe = directory / "probe"
        probe.write_bytes(b"x" * BLOCK)
        method = read_block_map(str(probe)).method
        probe.unlink()
        if method == "fiemap":
            return directory
        shutil.rmtree(directory)
    raise SystemExit("no writable filesystem with FIEMAP for the benchmark file")


def build_file(path: Path, extents: int) -> None:
    """Preallocate every other block: ``extents`` unwritten extents, none adjacent."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for index in range(extents):
            os.posix_fallocate(fd, 2 * index * BLOCK, BLOCK)
        os.fsync(fd)
    finally:
        os.close(fd)


def _median_seconds(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(extents: int = EXTENTS, rounds: int = ROUNDS) -> dict[str, object]:
    """Build the file, time every contender, clean up; return the numbers.

    Returns a dict with ``extents``, ``filesystem``, ``seconds`` (median per
    contender) and ``ratio`` (each median over filefrag's, when filefrag is
    installed).
    """
    with _test_directory() as directory:
        return _measure(directory / "extents", extents, rounds)


def _measure(path: Path, extents: int, rounds: int) -> dict[str, object]:
    build_file(path, extents)
    block_map = read_block_map(str(path))
    if len(block_map.extents) != extents:
        raise SystemExit(f"expected {extents} extents, FIEMAP reports {len(block_map.extents)}")
    name = str(path)
    contenders: dict[str, Callable[[], object]] = {
        "read": lambda: read_block_map(name),
        "read+json": lambda: files_json(read_block_map(name)),
        "cli text": lambda: subprocess.run(
            [sys.executable, "-m", "mapviz", "fiemap", name],
            stdout=subprocess.DEVNULL,
            check=True,
        ),
        "cli --json": lambda: subprocess.run(
            [sys.executable, "-m", "mapviz", "fiemap", "--json", name],
            stdout=subprocess.DEVNULL,
            check=True,
        ),
    }
    # The floor under the cli figures: an interpreter that starts and does nothing.
    contenders["python -c pass"] = lambda: subprocess.run(
        [sys.executable, "-c", "pass"], check=True
    )
    if shutil.which("filefrag"):
        contenders["filefrag -v"] = lambda: subprocess.run(
            ["filefrag", "-v", name], stdout=subprocess.DEVNULL, check=True
        )
    for action in contenders.values():  # warm the page cache and the imports
        action()
    samples: dict[str, list[float]] = {label: [] for label in contenders}
    for _ in range(rounds):  # interleaved, so drift hits everyone alike
        for label, action in contenders.items():
            samples[label].append(_median_seconds(action, 1))
    seconds = {label: statistics.median(times) for label, times in samples.items()}
    reference = seconds.get("filefrag -v")
    ratio = {label: value / reference for label, value in seconds.items() if reference is not None}
    return {
        "extents": extents,
        "filesystem": block_map.filesystem.name,
        "seconds": seconds,
        "ratio": ratio,
    }


def rows(result: dict[str, Any]) -> list[Row]:
    """One line per way of reading the file, against ``filefrag -v``."""
    seconds, ratios = result["seconds"], result["ratio"]
    baseline = (
        f"filefrag -v {seconds['filefrag -v'] * 1000:.0f} ms"
        if ratios
        else "skipped: filefrag is not installed"
    )
    floor = f" (python -c pass: {seconds['python -c pass'] * 1000:.0f} ms)"
    file = f"{result['extents']:,} extents on {result['filesystem']}"
    names = {
        "read": f"FIEMAP import, {file} (read, in-process)",
        "read+json": f"FIEMAP import, {file} (read+json, in-process)",
        "cli text": f"mapviz fiemap, {file} (xfs_io's table)",
        "cli --json": f"mapviz fiemap --json, {file}",
    }
    return [
        Row(
            names[label],
            f"{seconds[label] * 1000:.0f} ms" + (floor if label.startswith("cli") else ""),
            baseline,
            f"{ratios[label]:.2f}x" if ratios else "",
            "<= 1.5x",
            ratios[label] <= 1.5 if ratios else None,
        )
        for label in seconds
        if label not in ("filefrag -v", "python -c pass")
    ]


def main() -> None:
    extents = int(sys.argv[1]) if len(sys.argv) > 1 else EXTENTS
    result = run(extents)
    print(f"{result['extents']} extents on {result['filesystem']}, median of {ROUNDS} rounds")
    seconds = result["seconds"]
    ratio = result["ratio"]
    assert isinstance(seconds, dict) and isinstance(ratio, dict)
    for label, value in seconds.items():
        against = f"  {ratio[label]:.2f}x filefrag" if label in ratio else ""
        print(f"  {label:<12} {value * 1000:8.1f} ms{against}")


if __name__ == "__main__":
    main()
