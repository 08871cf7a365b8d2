"""Random ``%kernel mainline`` scenarios, one per seed.

:class:`ScenarioGenerator` keeps a rough model of xfs_io's state (which
files exist and how big they are, which descriptors and mappings each
process holds, what is immutable or an active swapfile) so that most
commands it writes can be issued.  Offsets and lengths favour the edges
where filesystems make decisions: block and page boundaries, EOF, EOF
rounded up, just past EOF.

The model is rough on purpose (it does not know about ENOSPC, nor that
``mmap -rw`` maps writable), so :func:`generate` ends the case just before
the first line the simulator refuses as a script error (no file open, no
mapping): xfs_io would refuse it too, and nothing after it is worth
recording.  The random draws do not depend on that cut, so a seed names the
same case as it did in the single-file ``tools/kernel_diff.py``; changing
what the generator draws renumbers every case found so far (the seeds in
``docs/kernel-divergences.md``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from mapviz.core.simulation import SKIPPED, Simulation
from mapviz.errors import ScenarioError
from mapviz.scenario import parse_scenario

PAGE = 4096
K = 1024
HEADER_DIRECTIVES = ("%title", "%kernel", "%fs")
"""The lines that make a case's setting; the shrinker keeps them."""

FILE_NAMES = ["a", "b", "c", "d"]
# Another process a case may switch to: (name, %proc arguments, uid,
# has CAP_LINUX_IMMUTABLE, has CAP_FOWNER).
OTHER_PROCESSES = [
    ("bob", "uid=1000", 1000, False, False),
    ("eve", "nocap", 0, False, False),
    ("ivan", "uid=1000 cap=linux_immutable,fowner", 1000, True, True),
]


def number_text(n: int) -> str:
    """``n`` bytes as a scenario number: ``64k``, ``16m`` or plain digits.

    >>> number_text(65536), number_text(3 << 20), number_text(1000), number_text(0)
    ('64k', '3m', '1000', '0')
    """
    for unit, suffix in ((1 << 20, "m"), (1 << 10, "k")):
        if n and n % unit == 0:
            return f"{n // unit}{suffix}"
    return str(n)


def round_up(n: int, unit: int) -> int:
    return -(-n // unit) * unit


@dataclass
class FileState:
    owner: int
    size: int = 0
    immutable: bool = False
    swap: bool = False


@dataclass
class MappedRange:
    name: str
    offset: int
    length: int
    writable: bool


@dataclass
class ProcessState:
    name: str
    uid: int
    privileged: bool  # root-like: may open anybody's file (CAP_DAC_OVERRIDE)
    immutable_cap: bool
    fowner: bool
    descriptors: list[tuple[str, bool]] = field(default_factory=list)  # (file, opened writable)
    direct: list[bool] = field(default_factory=list)  # per descriptor: opened O_DIRECT
    current: int | None = None
    maps: list[MappedRange] = field(default_factory=list)
    current_map: int | None = None


class ScenarioGenerator:
    """One random case: call :meth:`scenario` once.

    Every choice goes through ``self.rng`` in a fixed order: reordering,
    adding or removing a draw changes the case of every seed.
    """

    def __init__(self, seed: int, vocabulary: int = 1) -> None:
        self.seed = seed
        self.vocabulary = vocabulary
        # Vocabulary 2 (issue 14's commands) draws from a second generator, so the
        # main one makes the same choices: a seed's case of vocabulary 1 is unchanged.
        self.extra = random.Random(f"{seed}/vocabulary-2")
        self.rng = rng = random.Random(seed)
        self.fs = rng.choices(["xfs", "ext4"], [6, 4])[0]
        self.blocksize = rng.choices([1024, 2048, 4096], [3, 2, 5])[0]
        self.reflink = not (self.fs == "xfs" and rng.random() < 0.1)
        self.small = rng.random() < 0.12  # a 16m device: ENOSPC paths
        self.files: dict[str, FileState] = {}
        self.processes = {"app": ProcessState("app", 0, True, True, True)}
        self.current_process = "app"
        self.lines: list[str] = []
        self.swap_used = rng.random() < 0.2
        self.chattr_used = not self.swap_used and rng.random() < 0.35
        self.other = (
            OTHER_PROCESSES[rng.randrange(len(OTHER_PROCESSES))] if rng.random() < 0.3 else None
        )

    # --- numbers ---------------------------------------------------------------

    def pick_offset(self, size: int) -> int:
        rng, bs = self.rng, self.blocksize
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
            round_up(size, bs),
            round_up(size, PAGE),
            size + bs,
            size + PAGE,
            max(0, size - bs),
            max(0, size // bs * bs - bs),
            size + 64 * K,
            rng.randrange(0, max(size, bs) + 64 * K) // bs * bs,
            rng.randrange(0, max(size, bs) + 16 * K),
            rng.randrange(0, 33) * 512,
        ]
        weights = [8, 4, 3, 4, 2, 2, 2, 5, 3, 3, 2, 2, 2, 3, 2, 1, 6, 2, 1]
        return int(rng.choices(choices, weights)[0])

    def pick_length(self, size: int, offset: int) -> int:
        rng, bs = self.rng, self.blocksize
        choices = [
            bs,
            2 * bs,
            3 * bs,
            PAGE,
            2 * PAGE,
            16 * K,
            64 * K,
            128 * K,
            rng.randrange(1, bs),
            bs + 512,
            max(1, size - offset),
            max(1, round_up(size, bs) - offset),
            rng.randrange(1, 48) * bs,
            rng.randrange(1, 40 * K),
            0,
        ]
        weights = [6, 3, 2, 5, 2, 2, 4, 1, 2, 1, 3, 2, 5, 2, 0.3]
        n = int(rng.choices(choices, weights)[0])
        return n if n >= 0 else bs

    # --- the model -------------------------------------------------------------

    @property
    def process(self) -> ProcessState:
        return self.processes[self.current_process]

    def current_descriptor(self) -> tuple[str, bool] | None:
        process = self.process
        return process.descriptors[process.current] if process.current is not None else None

    def may_open(self, name: str, write: bool) -> bool:
        file = self.files.get(name)
        if file is None:
            return False
        if write and file.immutable:
            return False
        return self.process.uid == file.owner or self.process.privileged

    def emit(self, line: str) -> None:
        self.lines.append(line)

    def writes_land(self, name: str, writable_fd: bool) -> bool:
        """Whether a write through this descriptor can change the file."""
        file = self.files[name]
        return writable_fd and not file.swap and not (self.fs == "ext4" and file.immutable)

    # --- commands --------------------------------------------------------------

    def do_open(self) -> None:
        rng, process = self.rng, self.process
        name = rng.choice(FILE_NAMES[:3] if rng.random() < 0.8 else FILE_NAMES)
        read_only = rng.random() < 0.15
        truncate = not read_only and name in self.files and rng.random() < 0.05  # O_TRUNC
        create = name not in self.files or rng.random() < 0.5
        if name not in self.files and rng.random() < 0.05:
            create = False
        flags = ("f" if create else "") + ("r" if read_only else "") + ("t" if truncate else "")
        if self.vocabulary >= 2:
            if create and name not in self.files and self.extra.random() < 0.1:
                flags += "t"  # O_TRUNC on create: dropped by the VFS
            flags += self.extra.choices(["", "s", "a", "d"], [10, 1, 1, 3])[0]
        self.emit(f"open {'-' + flags + ' ' if flags else ''}{name}")
        if name not in self.files:
            opened = create
            if create:
                self.files[name] = FileState(owner=process.uid)
        else:
            opened = self.may_open(name, not read_only)
        if opened:
            process.descriptors.append((name, not read_only))
            process.direct.append("d" in flags)
            process.current = len(process.descriptors) - 1
            if truncate:
                self.files[name].size = 0

    def do_close(self) -> None:
        process = self.process
        assert process.current is not None
        self.emit("close")
        del process.descriptors[process.current]
        if process.direct:
            del process.direct[process.current]
        process.current = (
            min(process.current, len(process.descriptors) - 1) if process.descriptors else None
        )

    def do_file(self) -> None:
        process = self.process
        index = self.rng.randrange(len(process.descriptors))
        self.emit(f"file {index}")
        process.current = index

    def do_proc(self) -> None:
        assert self.other is not None
        name, arguments, uid, immutable_cap, fowner = self.other
        if self.current_process == "app":
            if name not in self.processes:
                privileged = uid == 0 and arguments != "nocap"
                self.processes[name] = ProcessState(name, uid, privileged, immutable_cap, fowner)
                self.emit(f"%proc {name} {arguments}")
            else:
                self.emit(f"%proc {name}")
            self.current_process = name
        else:
            self.emit("%proc app")
            self.current_process = "app"

    def do_pwrite(self, name: str, writable_fd: bool) -> None:
        rng = self.rng
        file = self.files[name]
        offset = self.pick_offset(file.size)
        length = self.pick_length(file.size, offset) or self.blocksize
        # Big writes near ENOSPC on XFS only: ext4 then switches to nodelalloc and
        # kicks background writeback (ext4_nonda_switch), which makes the truth racy.
        if self.small and self.fs == "xfs" and rng.random() < 0.15:
            length = rng.choice([8, 12, 20]) << 20
        options = ""
        if rng.random() < 0.3:
            options += f"-S {rng.choice([0x61, 0x62, 0xCD, 0]):#x} "
        if rng.random() < 0.05:
            options += "-b 64k "
        if rng.random() < 0.04:
            options += rng.choice(["-w ", "-W "])
        if self.vocabulary >= 2:
            options += self._pwrite_extras()
            if self._direct() and self.extra.random() < 0.8:
                offset, length = offset // 512 * 512, max(512, length // 512 * 512)
        self.emit(f"pwrite {options}{number_text(offset)} {number_text(length)}")
        if self.writes_land(name, writable_fd):
            file.size = max(file.size, offset + length)

    def do_fallocate(self, name: str, writable_fd: bool) -> None:
        rng = self.rng
        file = self.files[name]
        verb = rng.choices(
            ["falloc", "fpunch", "fzero", "fcollapse", "finsert", "funshare"], [6, 5, 4, 3, 3, 2]
        )[0]
        offset = self.pick_offset(file.size)
        length = self.pick_length(file.size, offset)
        if self.small and verb in ("falloc", "fzero") and rng.random() < 0.3:
            length = rng.choice([8 << 20, 16 << 20, 1 << 30])
        flags = ""
        if verb == "falloc":
            mode = rng.choices(["", "p", "c", "u"], [8, 2, 1, 1])[0]
            keep_size = rng.random() < 0.35
            if mode and keep_size:
                flags = rng.choice([mode + "k", "k" + mode])
            else:
                flags = mode + ("k" if keep_size else "")
        elif verb == "fzero" and rng.random() < 0.35:
            flags = "k"
        self.emit(
            f"{verb} {'-' + flags + ' ' if flags else ''}"
            f"{number_text(offset)} {number_text(length)}"
        )
        if not self.writes_land(name, writable_fd) or file.immutable:
            return
        self._follow_fallocate(file, verb, flags, offset, length)

    def _follow_fallocate(
        self, file: FileState, verb: str, flags: str, offset: int, length: int
    ) -> None:
        aligned = offset % self.blocksize == 0 and length % self.blocksize == 0
        # xfs_io's falloc sets the mode from its last flag (mode = ..., not |=).
        last_flag = flags[-1:]
        huge = length >= 1 << 28  # a 1g request on a 16m device fails: size stays
        if verb == "falloc" and last_flag == "c":
            if offset + length < file.size and length:
                file.size -= length
        elif (verb == "falloc" and last_flag == "") or (verb == "fzero" and "k" not in flags):
            file.size = file.size if huge else max(file.size, offset + length)
        elif verb == "fcollapse" and aligned:
            if length > 0 and offset + length < file.size:
                file.size -= length
        elif verb == "finsert" and aligned and length > 0 and offset < file.size:
            file.size += length

    def do_truncate(self, name: str, writable_fd: bool) -> None:
        file = self.files[name]
        rng = self.rng
        size = rng.choice(
            [
                0,
                file.size // 2,
                max(0, file.size - self.blocksize),
                file.size + self.blocksize,
                file.size + 64 * K,
                self.pick_offset(file.size),
                round_up(file.size, PAGE),
                rng.randrange(0, 200 * K),
                file.size,
            ]
        )
        self.emit(f"truncate {number_text(size)}")
        if writable_fd and not file.swap and not file.immutable:
            file.size = size

    def pick_other_file(self, name: str) -> str:
        rng = self.rng
        others = [other for other in self.files if other != name]
        if others and rng.random() < 0.85:
            return rng.choice(others)
        return name if rng.random() < 0.7 else rng.choice(FILE_NAMES)

    def do_remap(self, name: str, writable_fd: bool) -> None:
        rng = self.rng
        verb = rng.choices(["reflink", "dedupe", "swapext"], [5, 2, 1])[0]
        source_name = self.pick_other_file(name)
        file = self.files[name]
        source = self.files.get(source_name, FileState(0))
        if verb == "swapext":
            self.emit(f"swapext {source_name}")
            return
        if verb == "reflink" and rng.random() < 0.2:
            self.emit(f"reflink {source_name}")  # the whole file
            if self.writes_land(name, writable_fd):
                file.size = max(file.size, source.size)
            return
        source_offset = self.pick_offset(source.size) if rng.random() < 0.6 else 0
        offset = rng.choice([source_offset, self.pick_offset(file.size), 0])
        length = rng.choice(
            [
                self.pick_length(source.size, source_offset),
                max(0, source.size - source_offset),
                self.blocksize,
                64 * K,
            ]
        )
        self.emit(
            f"{verb} {source_name} {number_text(source_offset)} {number_text(offset)} "
            f"{number_text(length)}"
        )
        fits = source_offset + length <= source.size
        if verb == "reflink" and self.writes_land(name, writable_fd) and fits:
            file.size = max(file.size, offset + length)

    def do_mmap(self, name: str, writable_fd: bool) -> None:
        rng = self.rng
        file = self.files[name]
        offset = rng.choices(
            [0, PAGE, 2 * PAGE, 16 * K, self.blocksize if self.blocksize < PAGE else 512],
            [8, 2, 1, 1, 0.3],
        )[0]
        pages = max(1, round_up(file.size, PAGE) // PAGE - offset // PAGE)
        length = rng.choice([pages * PAGE, PAGE, 2 * PAGE, (pages + 1) * PAGE, 16 * K, 64 * K])
        flags = ""
        if rng.random() < 0.25:
            flags += "r"
        elif rng.random() < 0.1:
            flags += "rw"  # no PROT_EXEC
        if rng.random() < 0.05:
            flags += "S"
        if rng.random() < 0.05:
            flags += "D"
        self.emit(
            f"mmap {'-' + flags + ' ' if flags else ''}{number_text(offset)} {number_text(length)}"
        )
        # Known gap: "-rw" is PROT_READ|PROT_WRITE, modelled as read-only; fixing it
        # would change the draws (and so the case) of every seed that maps with -rw.
        writable = "r" not in flags
        mapped = offset % PAGE == 0 and "S" not in flags
        if writable and (not writable_fd or file.swap):
            mapped = False
        if mapped:
            process = self.process
            process.maps.append(MappedRange(name, offset, length, writable))
            process.current_map = len(process.maps) - 1

    def do_touch_mapping(self) -> None:
        rng, process = self.rng, self.process
        assert process.current_map is not None
        mapping = process.maps[process.current_map]
        offset, length = mapping.offset, mapping.length
        verb = rng.choices(["mread", "mwrite", "msync"], [3, 4 if mapping.writable else 0.3, 2])[0]
        flags = ""
        if verb == "msync" and rng.random() < 0.6:
            flags = "s"
        elif verb == "msync" and rng.random() < 0.3:
            flags = rng.choice(["a", "i", "si"])
        if verb in ("mread", "mwrite") and rng.random() < 0.1:
            flags = "r"  # backwards
        if verb == "mwrite" and rng.random() < 0.2:
            flags = "S 0x62"
        if rng.random() < 0.4:
            touched = ""  # the whole mapping
        else:
            start = offset + rng.randrange(0, max(1, length // PAGE)) * PAGE
            if rng.random() < 0.2:
                start += rng.choice([1, 100, 1024, 2048, 3000])
            start = min(start, offset + length - 1)
            size = rng.choice([1, 100, PAGE, 2 * PAGE, offset + length - start, 1024])
            size = max(1, min(size, offset + length - start))
            touched = f"{start} {size}"
        self.emit(f"{verb} {'-' + flags + ' ' if flags else ''}{touched}".rstrip())

    def do_munmap(self) -> None:
        process = self.process
        assert process.current_map is not None
        self.emit("munmap")
        del process.maps[process.current_map]
        process.current_map = (
            min(process.current_map, len(process.maps) - 1) if process.maps else None
        )

    def do_chattr(self, name: str) -> None:
        file = self.files[name]
        immutable = not file.immutable if self.rng.random() < 0.8 else file.immutable
        self.emit(f"chattr {'+' if immutable else '-'}i")
        process = self.process
        if (process.uid == file.owner or process.fowner) and process.immutable_cap:
            file.immutable = immutable

    def do_swap(self, name: str) -> None:
        file = self.files[name]
        if not file.swap or self.rng.random() < 0.3:
            self.emit("%swapon")
            if file.size >= 2 * PAGE and not file.immutable:
                file.swap = True  # a guess: holes or shared blocks make it fail
        else:
            self.emit("%swapoff")
            file.swap = False

    def do_pread(self, name: str) -> None:
        size = self.files[name].size
        offset = number_text(self.pick_offset(size))
        self.emit(f"pread {offset} {number_text(self.pick_length(size, 0) or 1)}")

    # --- vocabulary 2: issue 14's commands --------------------------------------

    def _direct(self) -> bool:
        process = self.process
        return process.current is not None and bool(
            process.direct and process.direct[process.current]
        )

    def _pwrite_extras(self) -> str:
        extra = self.extra
        options = ""
        if extra.random() < 0.15:
            options += extra.choice(["-D ", "-N ", "-V 1 -D ", "-V 1 -N ", "-V 1 ", "-V 0 "])
        if extra.random() < 0.05:
            options += "-V 2 "  # writes (N - 1) * bs past LEN, and stays set
        if extra.random() < 0.06:
            options += extra.choice(["-B ", "-F "])
        return options

    def extra_step(self, name: str, writable_fd: bool = True) -> None:
        """One of issue 14's hint, query and copy commands on the current file or mapping."""
        extra, process = self.extra, self.process
        size = self.files[name].size
        offset = number_text(extra.choice([0, 4096, size // 2 // 4096 * 4096, size]))
        length = number_text(extra.choice([0, 4096, 16 * K, 64 * K]))
        choices: list[str | Callable[[], None]] = [
            f"fadvise -d {offset} {length}",
            f"fadvise -w {offset} {length}",
            extra.choice(["fadvise -r", "fadvise -s", "fadvise", f"fadvise -n {offset} 4k"]),
            f"seek -a -r {extra.choice(['0', offset])}",
            f"seek {extra.choice(['-d', '-h', '-a -s'])} {offset}",
            f"{extra.choice(['resvsp', 'unresvsp', 'zero'])} {offset} {length}",
            f"sync_range {extra.choice(['', '-a ', '-b ', '-w '])}{offset} {length}",
            extra.choice([f"fiemap -v {offset} {length}", f"fiemap -l {offset}", "fiemap -a"]),
            extra.choice(["bmap -e", "bmap -elv", "bmap -a", "bmap -lp"]),
            lambda: self.copy_step(name, writable_fd),
            lambda: self.exchange_step(name),
            extra.choice(["extsize", "cowextsize", f"extsize {extra.choice(['16k', '64k', '0'])}"]),
            f"cowextsize {extra.choice(['16k', '128k', '0'])}",
        ]
        if process.current_map is not None:
            choices += [extra.choice(["madvise -d", "madvise -w", "madvise -r", "madvise -s"])]
            choices += ["mincore", self.mremap_step]
        choice = extra.choice(choices)
        if isinstance(choice, str):
            self.emit(choice)
        else:
            choice()

    def mremap_step(self) -> None:
        """mremap of the current mapping: a shrink, a growth in place, or a move (§9.9)."""
        extra, process = self.extra, self.process
        assert process.current_map is not None
        mapping = process.maps[process.current_map]
        length = extra.choice([PAGE, mapping.length // 2 or PAGE, 2 * mapping.length, 64 * K])
        move = extra.random() < 0.6
        self.emit(f"mremap {'-m ' if move else ''}{number_text(length)}")
        if move or length <= mapping.length:  # (a growth in place is ENOMEM, mostly)
            mapping.length = length

    def copy_step(self, name: str, writable_fd: bool) -> None:
        """copy_range or sendfile from another file (never ``-f``: it closes file 0, §9.8)."""
        extra = self.extra
        source_name = self.pick_other_file(name)
        source = self.files.get(source_name, FileState(0))
        file = self.files[name]
        src = extra.choice([0, self.blocksize, 100, self.pick_offset(source.size)])
        dst = extra.choice([0, src, self.pick_offset(file.size), file.size])
        length = extra.choice([4096, 16 * K, 6000, max(0, source.size - src)])
        if extra.random() < 0.7:
            if extra.random() < 0.2:
                self.emit(f"copy_range {source_name}")
                src, dst, length = 0, 0, source.size
            else:
                self.emit(
                    f"copy_range -s {number_text(src)} -d {number_text(dst)} "
                    f"-l {number_text(length)} {source_name}"
                )
            copied = min(length, max(0, source.size - src))
            if copied and self.writes_land(name, writable_fd):
                file.size = max(file.size, dst + copied)
        else:
            # sendfile writes at the descriptor's position, which the generator does not follow
            self.emit(f"sendfile -i {source_name} {number_text(src)} {number_text(length)}")

    def exchange_step(self, name: str) -> None:
        """exchangerange with another file: to EOF, or a range (sizes are not followed)."""
        extra = self.extra
        donor = self.pick_other_file(name)
        if extra.random() < 0.5:
            self.emit(f"exchangerange {donor}")
            return
        src = extra.choice([0, self.blocksize, 100])
        dst = extra.choice([0, src, self.blocksize * 2])
        length = extra.choice([self.blocksize, 16 * K, 6000])
        self.emit(
            f"exchangerange -s {number_text(src)} -d {number_text(dst)} "
            f"-l {number_text(length)} {donor}"
        )

    def step(self) -> None:
        """Write one more line: a command the current process can give now."""
        rng, process = self.rng, self.process
        descriptor = self.current_descriptor()
        if descriptor is None:
            if self.other and rng.random() < 0.15:
                self.do_proc()
            else:
                self.do_open()
            return
        name, writable_fd = descriptor
        xfs = self.fs == "xfs"
        mapped = process.current_map is not None
        # (weight, action); the list's order and length are part of every seed's case.
        table: list[tuple[float, Callable[[], None]]] = [
            (14, lambda: self.do_pwrite(name, writable_fd)),
            (3, lambda: self.do_pread(name)),
            (20, lambda: self.do_fallocate(name, writable_fd)),
            (5, lambda: self.do_truncate(name, writable_fd)),
            (7 if xfs else 1, lambda: self.do_remap(name, writable_fd)),
            (3, lambda: self.emit("fsync")),
            (1, lambda: self.emit("fdatasync")),
            (0.7, lambda: self.emit("sync")),
            (3 if self.chattr_used else 0, lambda: self.do_chattr(name)),
            (4, lambda: self.do_mmap(name, writable_fd)),
            (9 if mapped else 0, self.do_touch_mapping),
            (1 if mapped else 0, self.do_munmap),
            (2.5 if self.swap_used else 0, lambda: self.do_swap(name)),
            (0.6, lambda: self.emit("fiemap")),
            (0.2, lambda: self.emit(rng.choice(["bmap", "bmap -v"]))),
            (0.2, lambda: self.emit(rng.choice(["stat", "lsattr", "print"]))),
            (4, self.do_open),
            (1.5, self.do_close),
            (1.5 if len(process.descriptors) > 1 else 0, self.do_file),
            (2.5 if self.other else 0, self.do_proc),
        ]
        action = rng.choices([action for _, action in table], [w for w, _ in table])[0]
        action()
        if self.vocabulary >= 2 and self.extra.random() < 0.12:
            descriptor = self.current_descriptor()
            if descriptor is not None:
                self.extra_step(*descriptor)

    def scenario(self) -> str:
        """The whole case: header, then 6 to 35 commands (``%proc`` lines not counted)."""
        commands = self.rng.randrange(6, 36)
        while len([line for line in self.lines if not line.startswith("%proc")]) < commands:
            self.step()
        options = []
        if self.blocksize != 4096:
            options.append(f"blocksize={self.blocksize // K}k")
        if self.small:
            options.append("size=16m")
        if not self.reflink:
            options.append("noreflink")
        exchanges = any(line.startswith("exchangerange") for line in self.lines)
        if self.fs == "xfs" and exchanges and self.extra.random() < 0.75:
            options.append("exchange")  # the exchange-range feature (kernel-semantics §9.10)
        header = [
            f"%title kernel_diff seed {self.seed}",
            "%kernel mainline",
            " ".join(["%fs", self.fs, *options]),
        ]
        return "\n".join(header + self.lines) + "\n"


def generate(seed: int, vocabulary: int = 1) -> str:
    """The case of ``seed``, up to the first command xfs_io would not issue.

    ``vocabulary`` 2 adds issue 14's commands and flags (open -s/-a/-d/-t,
    pwrite -D/-N/-V/-B/-F, fadvise, madvise, mincore, seek, resvsp, unresvsp,
    zero, sync_range, fiemap OFF LEN / -a / -l, bmap -a / -e / -l, copy_range,
    sendfile, mremap, exchangerange with ``%fs xfs exchange``, extsize, cowextsize) to
    the draws.
    """
    return runnable_prefix(ScenarioGenerator(seed, vocabulary).scenario())


def runnable_prefix(text: str) -> str:
    """``text`` without the first command xfs_io would not even issue, and all after it.

    Such a command is a ``skipped`` step (SCENARIO.md "Results"): it tests
    xfs_io, not the kernel, and a case keeps to what the kernel is asked.

    >>> runnable_prefix("%kernel mainline\\nopen -f a\\nclose\\nclose\\npwrite 0 4k\\n")
    '%kernel mainline\\nopen -f a\\nclose\\n'
    """
    scenario = parse_scenario(text)
    try:
        sim = Simulation.from_scenario(scenario, record_files=False)
    except ScenarioError as refused:
        if refused.line > 0:
            return "".join(text.splitlines(keepends=True)[: refused.line - 1])
        return text
    skipped = next((step.line for step in sim.steps if step.result == SKIPPED), None)
    if skipped is not None:
        return "".join(text.splitlines(keepends=True)[: skipped - 1])
    return text
