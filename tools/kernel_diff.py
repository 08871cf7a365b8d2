#!/usr/bin/env python3
"""kernel_diff.py - differential testing of mapviz's `mainline` model against the real kernel.

Random `%kernel mainline` scenarios are generated from a seed, recorded on the
real kernel with the shared recorder (../shared/tools/record.py: a fresh
loop-mounted XFS or ext4 per case, FIEMAP without FIEMAP_FLAG_SYNC after every
step), run through the simulator (`mapviz run --json`, in-process by default)
and compared with the shared comparator (../shared/tools/compare.py, pair
mode).  Every divergence is shrunk by delta debugging (drop lines, simplify
numbers, flags and the %fs line, as long as the *same* first difference
remains) to a minimal case.

Needs root, loop devices, xfsprogs and e2fsprogs (what record.py needs).
Standard library only, plus the mapviz package itself.  Record one thing at
a time: `sync` anywhere on the machine flushes the test filesystem too.

Usage
-----
    # 200 random cases from seed 1000, shrink what diverges, keep it in /tmp/kd
    python3 tools/kernel_diff.py run --seed 1000 --count 200 --out /tmp/kd

    # print the scenario a seed generates
    python3 tools/kernel_diff.py gen 1234

    # record + compare given scenarios (prints every difference)
    python3 tools/kernel_diff.py check case.scenario [more.scenario ...]

    # shrink one diverging scenario to a minimal one
    python3 tools/kernel_diff.py shrink case.scenario -o case.min.scenario

`run` writes, under --out: `seed-N.scenario` (the case), `seed-N.expected.json`
(the recording), `seed-N.min.scenario` (the shrunk case, re-recorded three
times to make sure the kernel's answer is stable) and one JSON line per case
in `log.jsonl`; it ends with the divergence rate and the distinct first
differences (signatures).  `--cli` runs `mapviz run --json FILE` as a
subprocess instead of the in-process simulator (slower, same JSON).

What is compared: steps up to the first one after which the recorder had to
restart xfs_io (SIGBUS/SIGSEGV kill it; the restart closes its fds, whose
->release() has side effects mapviz does not model because in mapviz the
process lives on).  The restarted step's own result still counts.

What counts as a divergence: `run` records a diverging case twice more; if a
recording does not diverge the same way the case is *unstable* (another
process's sync(2), background writeback).  A divergence whose first
difference follows a writeback the kernel only starts (filemap_flush on the
close after a truncate: XFS's "NULL files" heuristic, ext4's auto_da_alloc)
is *racy*: whether FIEMAP sees that I/O completed is a race.  Neither is
counted in the divergence rate (docs/kernel-divergences.md).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED_TOOLS = REPO.parent / "shared" / "tools"
RECORD = SHARED_TOOLS / "record.py"
PAGE = 4096
K = 1024


def _load_compare() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shared_compare", SHARED_TOOLS / "compare.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {SHARED_TOOLS / 'compare.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COMPARE = _load_compare()

# ----------------------------------------------------------------------------
# Scenario generation
# ----------------------------------------------------------------------------

NAMES = ["a", "b", "c", "d"]
OTHER_PROCS = [
    ("bob", "uid=1000", 1000, False, False),
    ("eve", "nocap", 0, False, False),
    ("ivan", "uid=1000 cap=linux_immutable,fowner", 1000, True, True),
]


@dataclass
class GFile:
    owner: int
    size: int = 0
    immutable: bool = False
    swap: bool = False


@dataclass
class GProc:
    name: str
    uid: int
    caps: bool  # root-like: dac_override etc.
    immutable_cap: bool
    fowner: bool
    files: list[tuple[str, bool]] = field(default_factory=list)  # (name, writable)
    cur: int | None = None
    maps: list[tuple[str, int, int, bool]] = field(default_factory=list)  # name, off, len, w
    curmap: int | None = None


class Gen:
    """A random scenario, with a rough model of xfs_io's state so commands are valid."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.seed = seed
        r = self.r
        self.fs = r.choices(["xfs", "ext4"], [6, 4])[0]
        self.bs = r.choices([1024, 2048, 4096], [3, 2, 5])[0]
        self.reflink = not (self.fs == "xfs" and r.random() < 0.1)
        self.small = r.random() < 0.12  # a 16m device: ENOSPC paths
        self.files: dict[str, GFile] = {}
        self.procs = {"app": GProc("app", 0, True, True, True)}
        self.cur = "app"
        self.lines: list[str] = []
        self.swap_used = r.random() < 0.2
        self.chattr_used = not self.swap_used and r.random() < 0.35
        self.other = OTHER_PROCS[r.randrange(len(OTHER_PROCS))] if r.random() < 0.3 else None

    # -- numbers ---------------------------------------------------------
    def up(self, n: int, unit: int) -> int:
        return -(-n // unit) * unit

    def off(self, size: int) -> int:
        r, bs = self.r, self.bs
        choices = [
            0,
            bs,
            2 * bs,
            PAGE,
            2 * PAGE,
            16 * K,
            64 * K,
            size,
            size // bs * bs,
            self.up(size, bs),
            self.up(size, PAGE),
            size + bs,
            size + PAGE,
            max(0, size - bs),
            max(0, size // bs * bs - bs),
            size + 64 * K,
            r.randrange(0, max(size, bs) + 64 * K) // bs * bs,
            r.randrange(0, max(size, bs) + 16 * K),
            r.randrange(0, 33) * 512,
        ]
        weights = [8, 4, 3, 4, 2, 2, 2, 5, 3, 3, 2, 2, 2, 3, 2, 1, 6, 2, 1]
        return int(r.choices(choices, weights)[0])

    def length(self, size: int, off: int) -> int:
        r, bs = self.r, self.bs
        choices = [
            bs,
            2 * bs,
            3 * bs,
            PAGE,
            2 * PAGE,
            16 * K,
            64 * K,
            128 * K,
            r.randrange(1, bs),
            bs + 512,
            max(1, size - off),
            max(1, self.up(size, bs) - off),
            r.randrange(1, 48) * bs,
            r.randrange(1, 40 * K),
            0,
        ]
        weights = [6, 3, 2, 5, 2, 2, 4, 1, 2, 1, 3, 2, 5, 2, 0.3]
        n = int(r.choices(choices, weights)[0])
        return n if n >= 0 else bs

    @staticmethod
    def num(n: int) -> str:
        for unit, suffix in ((1 << 20, "m"), (1 << 10, "k")):
            if n and n % unit == 0:
                return f"{n // unit}{suffix}"
        return str(n)

    # -- model -----------------------------------------------------------
    @property
    def proc(self) -> GProc:
        return self.procs[self.cur]

    def cur_file(self) -> tuple[str, bool] | None:
        p = self.proc
        return p.files[p.cur] if p.cur is not None else None

    def may_open(self, name: str, write: bool) -> bool:
        f = self.files.get(name)
        if f is None:
            return False
        p = self.proc
        if write and f.immutable:
            return False
        return p.uid == f.owner or p.caps

    def emit(self, line: str) -> None:
        self.lines.append(line)

    # -- commands --------------------------------------------------------
    def do_open(self) -> None:
        r, p = self.r, self.proc
        name = r.choice(NAMES[:3] if r.random() < 0.8 else NAMES)
        ro = r.random() < 0.15
        trunc = not ro and name in self.files and r.random() < 0.05  # open -t: O_TRUNC
        create = name not in self.files or r.random() < 0.5
        if name not in self.files and r.random() < 0.05:
            create = False
        flags = ("f" if create else "") + ("r" if ro else "") + ("t" if trunc else "")
        self.emit(f"open {'-' + flags + ' ' if flags else ''}{name}")
        if name not in self.files:
            if create:
                self.files[name] = GFile(owner=p.uid)
                ok = True
            else:
                ok = False
        else:
            ok = self.may_open(name, not ro)
        if ok:
            p.files.append((name, not ro))
            p.cur = len(p.files) - 1
            if trunc:
                self.files[name].size = 0

    def do_close(self) -> None:
        p = self.proc
        assert p.cur is not None
        self.emit("close")
        del p.files[p.cur]
        p.cur = min(p.cur, len(p.files) - 1) if p.files else None

    def do_file(self) -> None:
        p = self.proc
        n = self.r.randrange(len(p.files))
        self.emit(f"file {n}")
        p.cur = n

    def do_proc(self) -> None:
        assert self.other is not None
        name, spec, uid, imm, fown = self.other
        if self.cur == "app":
            if name not in self.procs:
                self.procs[name] = GProc(name, uid, uid == 0 and spec != "nocap", imm, fown)
                self.emit(f"%proc {name} {spec}")
            else:
                self.emit(f"%proc {name}")
            self.cur = name
        else:
            self.emit("%proc app")
            self.cur = "app"

    def writable(self, name: str, w: bool) -> bool:
        f = self.files[name]
        return w and not f.swap and not (self.fs == "ext4" and f.immutable)

    def do_pwrite(self, name: str, w: bool) -> None:
        r = self.r
        f = self.files[name]
        off = self.off(f.size)
        ln = self.length(f.size, off) or self.bs
        # big writes near ENOSPC: XFS only -- ext4 then switches to nodelalloc and
        # kicks background writeback (ext4_nonda_switch), which makes the truth racy
        if self.small and self.fs == "xfs" and r.random() < 0.15:
            ln = r.choice([8, 12, 20]) << 20
        opts = ""
        if r.random() < 0.3:
            opts += f"-S {r.choice([0x61, 0x62, 0xCD, 0]):#x} "
        if r.random() < 0.05:
            opts += "-b 64k "
        if r.random() < 0.04:
            opts += r.choice(["-w ", "-W "])
        self.emit(f"pwrite {opts}{self.num(off)} {self.num(ln)}")
        if self.writable(name, w):
            f.size = max(f.size, off + ln)

    def do_falloc(self, name: str, w: bool) -> None:
        r = self.r
        f = self.files[name]
        verb = r.choices(
            ["falloc", "fpunch", "fzero", "fcollapse", "finsert", "funshare"], [6, 5, 4, 3, 3, 2]
        )[0]
        off = self.off(f.size)
        ln = self.length(f.size, off)
        if self.small and verb in ("falloc", "fzero") and r.random() < 0.3:
            ln = r.choice([8 << 20, 16 << 20, 1 << 30])
        flags = ""
        if verb == "falloc":
            mode = r.choices(["", "p", "c", "u"], [8, 2, 1, 1])[0]
            k = r.random() < 0.35
            flags = r.choice([mode + "k", "k" + mode]) if mode and k else mode + ("k" if k else "")
        elif verb == "fzero" and r.random() < 0.35:
            flags = "k"
        self.emit(f"{verb} {'-' + flags + ' ' if flags else ''}{self.num(off)} {self.num(ln)}")
        if not self.writable(name, w) or f.immutable:
            return
        last = flags[-1:] if flags else ""
        if verb == "falloc" and last in ("", "c"):
            if last == "c" and off + ln < f.size and ln:
                f.size -= ln
            elif last == "":
                f.size = max(f.size, off + ln) if ln < (1 << 28) else f.size
        elif verb == "fzero" and "k" not in flags:
            f.size = max(f.size, off + ln) if ln < (1 << 28) else f.size
        elif verb == "fcollapse" and off % self.bs == 0 and ln % self.bs == 0:
            if ln > 0 and off + ln < f.size:
                f.size -= ln
        elif (
            verb == "finsert"
            and off % self.bs == 0
            and ln % self.bs == 0
            and ln > 0
            and off < f.size
        ):
            f.size += ln

    def do_truncate(self, name: str, w: bool) -> None:
        f = self.files[name]
        r = self.r
        size = r.choice(
            [
                0,
                f.size // 2,
                max(0, f.size - self.bs),
                f.size + self.bs,
                f.size + 64 * K,
                self.off(f.size),
                self.up(f.size, PAGE),
                r.randrange(0, 200 * K),
                f.size,
            ]
        )
        self.emit(f"truncate {self.num(size)}")
        if w and not f.swap and not f.immutable:
            f.size = size

    def other_name(self, name: str) -> str:
        r = self.r
        others = [n for n in self.files if n != name]
        if others and r.random() < 0.85:
            return r.choice(others)
        return name if r.random() < 0.7 else r.choice(NAMES)

    def do_remap(self, name: str, w: bool) -> None:
        r = self.r
        verb = r.choices(["reflink", "dedupe", "swapext"], [5, 2, 1])[0]
        src = self.other_name(name)
        f = self.files[name]
        s = self.files.get(src, GFile(0))
        if verb == "swapext":
            self.emit(f"swapext {src}")
            return
        if verb == "reflink" and r.random() < 0.2:
            self.emit(f"reflink {src}")
            if self.writable(name, w):
                f.size = max(f.size, s.size)
            return
        so = self.off(s.size) if r.random() < 0.6 else 0
        do = r.choice([so, self.off(f.size), 0])
        ln = r.choice([self.length(s.size, so), max(0, s.size - so), self.bs, 64 * K])
        self.emit(f"{verb} {src} {self.num(so)} {self.num(do)} {self.num(ln)}")
        if verb == "reflink" and self.writable(name, w) and so + ln <= s.size:
            f.size = max(f.size, do + ln)

    def do_mmap(self, name: str, w: bool) -> None:
        r = self.r
        f = self.files[name]
        off = r.choices(
            [0, PAGE, 2 * PAGE, 16 * K, self.bs if self.bs < PAGE else 512], [8, 2, 1, 1, 0.3]
        )[0]
        pages = max(1, self.up(f.size, PAGE) // PAGE - off // PAGE)
        ln = r.choice([pages * PAGE, PAGE, 2 * PAGE, (pages + 1) * PAGE, 16 * K, 64 * K])
        flags = ""
        if r.random() < 0.25:
            flags += "r"
        elif r.random() < 0.1:
            flags += "rw"  # no PROT_EXEC
        if r.random() < 0.05:
            flags += "S"
        if r.random() < 0.05:
            flags += "D"
        self.emit(f"mmap {'-' + flags + ' ' if flags else ''}{self.num(off)} {self.num(ln)}")
        writable = "r" not in flags
        ok = off % PAGE == 0 and "S" not in flags
        if writable and (not w or f.swap):
            ok = False
        if ok:
            p = self.proc
            p.maps.append((name, off, ln, writable))
            p.curmap = len(p.maps) - 1

    def do_mtouch(self) -> None:
        r, p = self.r, self.proc
        assert p.curmap is not None
        _name, off, ln, writable = p.maps[p.curmap]
        verb = r.choices(["mread", "mwrite", "msync"], [3, 4 if writable else 0.3, 2])[0]
        flags = ""
        if verb == "msync" and r.random() < 0.6:
            flags = "s"
        elif verb == "msync" and r.random() < 0.3:
            flags = r.choice(["a", "i", "si"])
        if verb in ("mread", "mwrite") and r.random() < 0.1:
            flags = "r"  # backwards
        if verb == "mwrite" and r.random() < 0.2:
            flags = "S 0x62"
        if r.random() < 0.4:
            rng = ""
        else:
            start = off + r.randrange(0, max(1, ln // PAGE)) * PAGE
            if r.random() < 0.2:
                start += r.choice([1, 100, 1024, 2048, 3000])
            start = min(start, off + ln - 1)
            length = r.choice([1, 100, PAGE, 2 * PAGE, off + ln - start, 1024])
            length = max(1, min(length, off + ln - start))
            rng = f"{start} {length}"
        self.emit(f"{verb} {'-' + flags + ' ' if flags else ''}{rng}".rstrip())

    def do_munmap(self) -> None:
        p = self.proc
        assert p.curmap is not None
        self.emit("munmap")
        del p.maps[p.curmap]
        p.curmap = min(p.curmap, len(p.maps) - 1) if p.maps else None

    def do_chattr(self, name: str) -> None:
        f = self.files[name]
        want = not f.immutable if self.r.random() < 0.8 else f.immutable
        self.emit(f"chattr {'+' if want else '-'}i")
        p = self.proc
        if (p.uid == f.owner or p.fowner) and p.immutable_cap:
            f.immutable = want

    def do_swap(self, name: str) -> None:
        f = self.files[name]
        if not f.swap or self.r.random() < 0.3:
            self.emit("%swapon")
            if f.size >= 2 * PAGE and not f.immutable:
                f.swap = True  # a guess: holes or shared blocks make it fail
        else:
            self.emit("%swapoff")
            f.swap = False

    def step(self) -> None:
        r, p = self.r, self.proc
        cur = self.cur_file()
        if cur is None:
            if self.other and r.random() < 0.15:
                self.do_proc()
            else:
                self.do_open()
            return
        name, w = cur
        xfs = self.fs == "xfs"
        table: list[tuple[float, Any]] = [
            (14, lambda: self.do_pwrite(name, w)),
            (
                3,
                lambda: self.emit(
                    f"pread {self.num(self.off(self.files[name].size))} "
                    f"{self.num(self.length(self.files[name].size, 0) or 1)}"
                ),
            ),
            (20, lambda: self.do_falloc(name, w)),
            (5, lambda: self.do_truncate(name, w)),
            (7 if xfs else 1, lambda: self.do_remap(name, w)),
            (3, lambda: self.emit("fsync")),
            (1, lambda: self.emit("fdatasync")),
            (0.7, lambda: self.emit("sync")),
            (3 if self.chattr_used else 0, lambda: self.do_chattr(name)),
            (4, lambda: self.do_mmap(name, w)),
            (9 if p.curmap is not None else 0, self.do_mtouch),
            (1 if p.curmap is not None else 0, self.do_munmap),
            (2.5 if self.swap_used else 0, lambda: self.do_swap(name)),
            (0.6, lambda: self.emit("fiemap")),
            (0.2, lambda: self.emit(r.choice(["bmap", "bmap -v"]))),
            (0.2, lambda: self.emit(r.choice(["stat", "lsattr", "print"]))),
            (4, self.do_open),
            (1.5, self.do_close),
            (1.5 if len(p.files) > 1 else 0, self.do_file),
            (2.5 if self.other else 0, self.do_proc),
        ]
        weights = [w_ for w_, _ in table]
        action = r.choices([a for _, a in table], weights)[0]
        action()

    def scenario(self) -> str:
        n = self.r.randrange(6, 36)
        while len([ln for ln in self.lines if not ln.startswith("%proc")]) < n:
            self.step()
        opts = []
        if self.bs != 4096:
            opts.append(f"blocksize={self.bs // K}k")
        if self.small:
            opts.append("size=16m")
        if not self.reflink:
            opts.append("noreflink")
        head = [
            f"%title kernel_diff seed {self.seed}",
            "%kernel mainline",
            f"%fs {self.fs}{' ' if opts else ''}{' '.join(opts)}",
        ]
        return "\n".join(head + self.lines) + "\n"


def generate(seed: int) -> str:
    return Gen(seed).scenario()


# ----------------------------------------------------------------------------
# Recording, simulating, comparing
# ----------------------------------------------------------------------------


@dataclass
class Outcome:
    # "match", "diverge", "racy" (the first difference follows an asynchronous flush),
    # "invalid" (the recorder refused the scenario), "oracle" (the machine failed);
    # `run` turns a divergence that does not reproduce into "unstable"
    status: str
    diffs: list[str] = field(default_factory=list)
    expected: dict[str, Any] | None = None
    actual: dict[str, Any] | None = None
    message: str = ""
    bad_line: int | None = None


def _cleanup_leftovers(pid: int) -> None:
    """If record.py (process ``pid``) left its mount or loop device behind, remove them."""
    base = Path(tempfile.gettempdir()) / "oracle-imgs"
    for img in base.glob(f"*-{pid}-*.img"):
        out = subprocess.run(["losetup", "-j", str(img)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            dev = line.split(":", 1)[0]
            mounts = subprocess.run(
                ["findmnt", "-n", "-o", "TARGET", dev], capture_output=True, text=True
            ).stdout.split()
            for m in mounts:
                with open("/proc/swaps") as swaps:
                    for entry in swaps.read().splitlines()[1:]:
                        if entry.split()[0].startswith(m + "/"):
                            subprocess.run(["swapoff", entry.split()[0]], capture_output=True)
                subprocess.run(["umount", m], capture_output=True)
                with contextlib.suppress(OSError):
                    os.rmdir(m)
            subprocess.run(["losetup", "-d", dev], capture_output=True)
        with contextlib.suppress(OSError):
            img.unlink()


def record(path: Path) -> tuple[int, dict[str, Any] | None, str]:
    """Run record.py on ``path``: (exit status, JSON or None, stderr)."""
    out = path.with_suffix(".rec.json")
    with contextlib.suppress(FileNotFoundError):
        out.unlink()
    proc = subprocess.Popen(
        [sys.executable, str(RECORD), str(path), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, err = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    _cleanup_leftovers(proc.pid)
    doc = None
    if out.exists():
        try:
            doc = json.loads(out.read_text())
        except ValueError:
            doc = None
        out.unlink()
    return proc.returncode, doc, err


def simulate(path: Path, cli: bool = False) -> dict[str, Any]:
    """``mapviz run --json`` of ``path`` (in-process unless ``cli``)."""
    if cli:
        p = subprocess.run(["mapviz", "run", "--json", str(path)], capture_output=True, text=True)
        try:
            return dict(json.loads(p.stdout))
        except ValueError:
            raise RuntimeError(f"mapviz run failed: {p.stderr.strip()}") from None
    from mapviz.core.simulation import Simulation
    from mapviz.report.json_report import run_json
    from mapviz.scenario import load_scenario

    scenario = load_scenario(str(path))
    sim = Simulation(scenario.fs, scenario.kernel, source=scenario.source, record_files=True)
    sim.run(scenario.items)
    return run_json(sim, scenario)


def trim_restarts(expected: dict[str, Any], actual: dict[str, Any]) -> None:
    """Drop steps after the first one at which the recorder restarted xfs_io."""
    cut = None
    for step in expected.get("steps", []):
        if step.get("restarted"):
            cut = step["line"]
            break
    if cut is None:
        return
    for doc in (expected, actual):
        steps = [s for s in doc.get("steps", []) if s.get("line", 0) <= cut]
        for s in steps:
            if s.get("line") == cut:
                s["files"] = {}  # snapshot taken after the restart closed the fds
        doc["steps"] = steps


def evaluate(path: Path, cli: bool = False) -> Outcome:
    rc, expected, err = record(path)
    if rc == 2 or (rc not in (0, 1)) or expected is None:
        m = re.search(r":(\d+): ", err)
        return Outcome(
            "invalid" if rc == 2 else "oracle",
            message=err.strip(),
            bad_line=int(m.group(1)) if m and rc == 2 else None,
        )
    try:
        actual = simulate(path, cli)
    except Exception as exc:  # a simulator crash is a divergence too
        return Outcome("diverge", [f"line 0 `crash`: simulator raised {exc!r}"], expected)
    trim_restarts(expected, actual)
    diffs = COMPARE.compare_docs(expected, actual)
    if diffs and _after_async_flush(actual, first_line_of(diffs[0])):
        return Outcome("racy", diffs, expected, actual)
    return Outcome("diverge" if diffs else "match", diffs, expected, actual)


# Writeback that the kernel only *starts* (filemap_flush, WB_SYNC_NONE): xfs_file_release()
# after a truncate down, ext4_release_file() after a truncate to 0.  Whether FIEMAP then
# sees the I/O completed (written) or not yet (unwritten) is a race with the loop device
# and the end_io workqueue; mapviz shows it completed.
ASYNC_FLUSH_MARKERS = ('"NULL files" heuristic', "truncate to 0 allocates")


def _after_async_flush(actual: dict[str, Any], line: int | None) -> bool:
    if line is None:
        return False
    for step in actual.get("steps", []):
        if step.get("line", 0) > line:
            break
        for event in step.get("events") or []:
            if any(m in str(event.get("why", "")) for m in ASYNC_FLUSH_MARKERS):
                return True
    return False


def first_line_of(diff: str) -> int | None:
    m = _DIFF.match(diff)
    return int(m.group(1)) if m else None


_DIFF = re.compile(r"^line (\d+) `([^`]*)`: (.*)$", re.S)


def first_line(outcome: Outcome) -> int | None:
    m = _DIFF.match(outcome.diffs[0]) if outcome.diffs else None
    return int(m.group(1)) if m else None


def signature(diff: str) -> str:
    """What a first difference is about, without line numbers or byte offsets."""
    m = _DIFF.match(diff)
    if not m:
        return re.sub(r"\d+", "N", diff.split("\n")[0])
    command, rest = m.group(2), m.group(3).split("\n")[0]
    words = command.split()
    verb = " ".join([words[0], *sorted(w for w in words[1:] if re.fullmatch(r"-[a-zA-Z]+", w))])
    if verb.startswith("falloc"):
        # xfs_io's falloc: the last of -k/-p/-c/-u wins (mode = ..., not |=)
        verb = "falloc" + ("-" + words[1] if len(words) > 1 and words[1][0] == "-" else "")
    if rest.startswith("result:"):
        return f"{verb}: {rest}"
    rest = re.sub(r"^file \S+: ", "", rest)
    if rest.startswith("size:"):
        e, g = re.findall(r"-?\d+", rest)[:2]
        return f"{verb}: size {'<' if int(e) < int(g) else '>'}"
    if rest.startswith("layout:"):
        pairs = re.findall(r"expected ([a-z ]+?), got ([a-z ]+?)(?:;|$| \()", rest)
        return f"{verb}: layout {pairs[0][0]}->{pairs[0][1]}" if pairs else f"{verb}: layout"
    return f"{verb}: {re.sub(r'[0-9]+', 'N', rest)}"


# ----------------------------------------------------------------------------
# Shrinking
# ----------------------------------------------------------------------------

HEADER = ("%title", "%kernel", "%fs")


class Shrinker:
    def __init__(self, text: str, sig: str, workdir: Path, cli: bool = False) -> None:
        lines = text.splitlines()
        self.head = [ln for ln in lines if ln.startswith(HEADER)]
        self.body = [ln for ln in lines if ln and not ln.startswith(HEADER)]
        self.sig = sig
        self.work = workdir
        self.cli = cli
        self.tries = 0
        self.cache: dict[str, bool] = {}

    def text(self, head: list[str] | None = None, body: list[str] | None = None) -> str:
        return "\n".join((head or self.head) + (self.body if body is None else body)) + "\n"

    def test(self, head: list[str], body: list[str]) -> bool:
        text = self.text(head, body)
        if text in self.cache:
            return self.cache[text]
        self.tries += 1
        path = self.work / f"shrink-{os.getpid()}.scenario"
        path.write_text(text)
        outcome = evaluate(path, self.cli)
        ok = outcome.status == "diverge" and signature(outcome.diffs[0]) == self.sig
        self.cache[text] = ok
        return ok

    def cut_after_first(self) -> None:
        """Drop everything after the step of the first difference."""
        path = self.work / f"shrink-{os.getpid()}.scenario"
        path.write_text(self.text())
        outcome = evaluate(path, self.cli)
        line = first_line(outcome)
        if line is None:
            return
        full = self.text().splitlines()
        keep = full[:line]
        body = [ln for ln in keep if ln and not ln.startswith(HEADER)]
        if body != self.body and self.test(self.head, body):
            self.body = body

    def ddmin(self) -> None:
        n = 2
        while len(self.body) >= 1:
            chunk = max(1, len(self.body) // n)
            changed = False
            i = 0
            while i < len(self.body):
                cand = self.body[:i] + self.body[i + chunk :]
                if cand and self.test(self.head, cand):
                    self.body = cand
                    changed = True
                else:
                    i += chunk
            if chunk == 1 and not changed:
                break
            if not changed:
                n = min(len(self.body), n * 2)
        return

    def simpler_numbers(self, word: str) -> list[str]:
        m = re.fullmatch(r"(\d+)([kmb]?)", word)
        if not m:
            return []
        mult = {"": 1, "k": K, "m": 1 << 20, "b": 4096}[m.group(2)]
        value = int(m.group(1)) * mult
        out = []
        for c in (0, 1024, 4096, 8192, 16 * K, 64 * K, value // 2 // 1024 * 1024, value // 2):
            if 0 <= c < value:
                out.append(Gen.num(c))
        return list(dict.fromkeys(out))

    def numbers(self) -> None:
        for i in range(len(self.body)):
            words = self.body[i].split()
            if words[0].startswith("%"):
                continue
            for j in range(1, len(words)):
                for cand in self.simpler_numbers(words[j]):
                    w2 = list(words)
                    w2[j] = cand
                    body = list(self.body)
                    body[i] = " ".join(w2)
                    if self.test(self.head, body):
                        self.body = body
                        words = w2
                        break

    def flags(self) -> None:
        for i in range(len(self.body)):
            line = self.body[i]
            for cand in (
                re.sub(r" -S 0x[0-9a-f]+", "", line),
                re.sub(r" -b 64k", "", line),
                re.sub(r" -[wW] ", " ", line),
            ):
                if cand != line:
                    body = list(self.body)
                    body[i] = cand
                    if self.test(self.head, body):
                        self.body = body
                        line = cand

    def header(self) -> None:
        for i, line in enumerate(self.head):
            if not line.startswith("%fs"):
                continue
            words = line.split()
            for w in words[2:]:
                cand = " ".join(x for x in words if x != w)
                head = list(self.head)
                head[i] = cand
                if self.test(head, self.body):
                    self.head = head
                    words = cand.split()

    def run(self) -> str:
        self.cut_after_first()
        for _ in range(3):
            before = self.text()
            self.ddmin()
            self.header()
            self.flags()
            self.numbers()
            if self.text() == before:
                break
        return self.text()


def stable(path: Path, runs: int = 3, cli: bool = False) -> bool:
    """True if ``runs`` recordings agree with each other (normalised)."""
    docs = []
    for _ in range(runs):
        _rc, doc, _ = record(path)
        if doc is None:
            return False
        docs.append(doc)
    return all(not COMPARE.compare_docs(docs[0], d) for d in docs[1:])


# ----------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------


def cmd_gen(a: argparse.Namespace) -> int:
    sys.stdout.write(generate(a.seed))
    return 0


def cmd_check(a: argparse.Namespace) -> int:
    bad = 0
    for name in a.files:
        outcome = evaluate(Path(name), a.cli)
        print(f"== {name}: {outcome.status} {outcome.message}")
        for d in outcome.diffs:
            print("   " + d.replace("\n", "\n   "))
        if outcome.diffs:
            print("   signature:", signature(outcome.diffs[0]))
        if a.save and outcome.expected is not None:
            Path(name).with_suffix("").with_suffix(".expected.json").write_text(
                json.dumps(outcome.expected, indent=1) + "\n"
            )
        bad += outcome.status != "match"
    return 1 if bad else 0


def shrink_file(path: Path, workdir: Path, cli: bool) -> tuple[str, str, int] | None:
    outcome = evaluate(path, cli)
    if outcome.status != "diverge":
        return None
    sig = signature(outcome.diffs[0])
    s = Shrinker(path.read_text(), sig, workdir, cli)
    return s.run(), sig, s.tries


def cmd_shrink(a: argparse.Namespace) -> int:
    path = Path(a.file)
    with tempfile.TemporaryDirectory() as tmp:
        res = shrink_file(path, Path(tmp), a.cli)
    if res is None:
        print("no divergence")
        return 1
    text, sig, tries = res
    print(f"# signature: {sig} ({tries} tries)", file=sys.stderr)
    if a.output:
        Path(a.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_run(a: argparse.Namespace) -> int:
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    log = (out / "log.jsonl").open("a")
    counts = {"match": 0, "diverge": 0, "unstable": 0, "racy": 0, "invalid": 0, "oracle": 0}
    sigs: dict[str, list[int]] = {}
    t0 = time.time()
    for seed in range(a.seed, a.seed + a.count):
        path = out / f"seed-{seed}.scenario"
        text = generate(seed)
        path.write_text(text)
        outcome = evaluate(path, a.cli)
        tries = 0
        # the recorder refused a line (a guess of the generator went wrong): cut there
        while outcome.status == "invalid" and outcome.bad_line and tries < 3:
            tries += 1
            text = "\n".join(text.splitlines()[: outcome.bad_line - 1]) + "\n"
            path.write_text(text)
            outcome = evaluate(path, a.cli)
        if outcome.status == "diverge" and not a.no_recheck:
            # record it again: a truth that changes from run to run (background
            # writeback, a sync elsewhere on the machine) is not a modelling gap
            for _ in range(2):
                again = evaluate(path, a.cli)
                if again.status != "diverge" or signature(again.diffs[0]) != signature(
                    outcome.diffs[0]
                ):
                    outcome.status = "unstable"
                    break
        counts[outcome.status] += 1
        entry: dict[str, Any] = {"seed": seed, "status": outcome.status}
        if outcome.status in ("unstable", "racy"):
            entry["first"] = outcome.diffs[0]
            print(
                f"seed {seed}: {outcome.status.upper()} {signature(outcome.diffs[0])}", flush=True
            )
        if outcome.status == "diverge":
            sig = signature(outcome.diffs[0])
            entry["signature"] = sig
            entry["first"] = outcome.diffs[0]
            (out / f"seed-{seed}.expected.json").write_text(json.dumps(outcome.expected, indent=1))
            new = sig not in sigs
            sigs.setdefault(sig, []).append(seed)
            if a.shrink and (new or a.shrink_all):
                s = Shrinker(text, sig, out, a.cli)
                small = s.run()
                mpath = out / f"seed-{seed}.min.scenario"
                mpath.write_text(small)
                entry["min"] = small
                entry["stable"] = stable(mpath)
                entry["tries"] = s.tries
            print(f"seed {seed}: DIVERGE {sig}" + (" (new)" if new else ""), flush=True)
        elif outcome.status in ("invalid", "oracle"):
            entry["message"] = outcome.message[-300:]
            print(f"seed {seed}: {outcome.status.upper()} {outcome.message[-200:]}", flush=True)
        elif outcome.status == "match":
            path.unlink()
        log.write(json.dumps(entry) + "\n")
        log.flush()
    recorded = counts["match"] + counts["diverge"] + counts["unstable"] + counts["racy"]
    rate = counts["diverge"] / recorded if recorded else 0.0
    print(f"\n{a.count} cases in {time.time() - t0:.0f}s: {counts}")
    print(
        f"divergence rate {rate:.1%} ({counts['diverge']}/{recorded} recorded cases; "
        f"{counts['unstable']} unstable and {counts['racy']} racy truths not counted)"
    )
    for sig, seeds in sorted(sigs.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(seeds):4d}  {sig}   e.g. seed {seeds[0]}")
    return 0 if not counts["diverge"] else 1


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        return 1


def _main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run", help="generate, record, compare and shrink random cases")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "kernel_diff"))
    p.add_argument("--no-shrink", dest="shrink", action="store_false")
    p.add_argument(
        "--shrink-all",
        action="store_true",
        help="shrink every divergence, not only the first of each signature",
    )
    p.add_argument("--cli", action="store_true", help="run `mapviz run --json` as a subprocess")
    p.add_argument(
        "--no-recheck",
        action="store_true",
        help="do not record a diverging case a second time to rule out flakiness",
    )
    p.set_defaults(handler=cmd_run)
    p = sub.add_parser("gen", help="print the scenario of one seed")
    p.add_argument("seed", type=int)
    p.set_defaults(handler=cmd_gen)
    p = sub.add_parser("check", help="record and compare given scenarios")
    p.add_argument("files", nargs="+")
    p.add_argument("--cli", action="store_true")
    p.add_argument("--save", action="store_true", help="write NAME.expected.json next to each")
    p.set_defaults(handler=cmd_check)
    p = sub.add_parser("shrink", help="shrink one diverging scenario")
    p.add_argument("file")
    p.add_argument("-o", "--output")
    p.add_argument("--cli", action="store_true")
    p.set_defaults(handler=cmd_shrink)
    a = ap.parse_args(argv)
    if os.geteuid() != 0 and a.cmd != "gen":
        print("kernel_diff.py: recording needs root (loop devices, mkfs, mount)", file=sys.stderr)
        return 2
    return int(a.handler(a))


if __name__ == "__main__":
    sys.exit(main())
