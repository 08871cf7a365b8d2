"""Run a scenario's steps on the real kernel and record each one as ``mapviz run --json`` does.

One xfs_io process per scenario process (``%proc``), started when that
process issues its first command, through ``setpriv`` when its credentials
are not root's.  After every step, every file the scenario has named and
that exists is read: size (``fstat``) and FIEMAP map *without*
FIEMAP_FLAG_SYNC, so observing does not write anything back (delalloc,
unwritten extents under dirty pages and staged copy-on-write stay visible).
The map is read through one read-only descriptor per file, opened once and
kept for the whole run: closing a descriptor calls ->release(), which on XFS
and ext4 may start writeback of a truncated file in the middle of the case.

A command that kills xfs_io (SIGBUS from ``mwrite``) is recorded as that
signal; a new xfs_io then re-opens that process's files and re-creates its
mappings, so the scenario goes on as it does in mapviz.  ``%swapon`` is
``mkswap`` + swapon(2): unless the file is already an active swapfile, a
version-1 swap header goes into page 0 through the page cache and the file
is fsynced and closed; ``%swapoff`` is swapoff(2).  Both run with our own
(root) privileges, whatever the current ``%proc``.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mapviz.errors import ScenarioError
from mapviz.realfs.blockmap import open_regular
from mapviz.realfs.errors import RealFileError
from mapviz.realfs.export import merged_runs
from mapviz.realfs.fiemap import FiemapUnsupportedError, iter_fiemap
from mapviz.realkernel.errors import OracleFailureError
from mapviz.realkernel.testbed import Testbed, active_swapfiles, swapoff, swapon
from mapviz.realkernel.xfsio import XfsIo, classify, credentials_argv, errno_name
from mapviz.scenario.directives import CAPABILITIES
from mapviz.scenario.syntax import Command, Expect, Note, Proc, Scenario

PAGE = os.sysconf("SC_PAGE_SIZE")
SKIPPED = "skipped"
"""A command xfs_io would not even issue in the real state (as the simulator's replays say)."""

# Commands whose arguments name files the JSON then reports (as the simulator does).
_NAMING = ("open", "reflink", "dedupe", "swapext", "copy_range", "sendfile")
# A failing copy_range ends xfs_io 6.1 (copy_range_f() returns the errno as "done"):
# its message is the result, and a new xfs_io takes over (kernel-semantics §9.8).
_ENDS_XFS_IO = ("copy_range",)
# xfs_io issues these XFS ioctls only on XFS files; elsewhere what the kernel
# answers to the ioctl is the truth: (request, argument size).
# XFS_IOC_GETBMAPX = _IOWR('X', 56, struct getbmap); XFS_IOC_SWAPEXT = _IOWR('X', 109, ...).
_XFS_ONLY_IOCTL = {"bmap": (0xC0205838, 0x20 * 4), "swapext": (0xC0C0586D, 0xC0)}
_FOREIGN = "is for XFS filesystems only"
# (and the fsxattr hints: ext4 would answer FS_IOC_FSSETXATTR itself, kernel-semantics §9.11)
_VFS_IOCTLS = ("unresvsp", "zero", "extsize", "cowextsize")
# xfs_io's own refusals: the command was never issued (no file, no mapping,
# a range outside the mapping, an index that does not exist).
_REFUSALS = (
    "no files are open",
    "no mapped regions",
    "is before start of mapping",
    "is beyond end of mapping",
    "is beyond mapping",
    "is out of range",
)
_SWAP_MAGIC = b"SWAPSPACE2"
_SWAP_UUID = bytes(range(16))  # fixed: the header's bytes are the same on every run


def swap_header(size: int) -> bytes:
    """Page 0 as ``mkswap`` writes it: ``union swap_header`` version 1, no bad pages.

    >>> header = swap_header(64 * 4096)
    >>> header[-10:], struct.unpack_from("=III", header, 1024)
    (b'SWAPSPACE2', (1, 63, 0))
    """
    header = bytearray(PAGE)
    # info: version, last_page (size in pages - 1), nr_badpages; then the uuid.
    struct.pack_into("=III", header, 1024, 1, max(size // PAGE - 1, 0), 0)
    header[1036:1052] = _SWAP_UUID
    header[PAGE - len(_SWAP_MAGIC) :] = _SWAP_MAGIC
    return bytes(header)


def xfs_io_line(command: Command, spell: Callable[[str], str] = str) -> str:
    """The line handed to xfs_io: numbers in plain bytes, ``-D`` dropped from ``mmap``.

    Mainline ignores MAP_DIRECT (an unknown flag with plain MAP_SHARED), so
    ``mmap -D`` runs as ``mmap``.  Plain decimal bytes mean xfs_io's own idea
    of a block (for the ``b`` suffix) never matters.  ``spell`` turns a file
    name into the word xfs_io gets (:meth:`Testbed.xfs_io_path`).

    >>> xfs_io_line(Command(3, "mmap -rwD 0 64k", "mmap", "rwD", (), (0, 65536)))
    'mmap -rw 0 65536'
    >>> xfs_io_line(Command(4, "pwrite -S0x61 0 4k", "pwrite", "", (("S", 97),), (0, 4096)))
    'pwrite -S 97 0 4096'
    """
    flags = command.flags.replace("D", "") if command.name == "mmap" else command.flags
    if command.name == "sendfile" and "i" in flags:
        flags = flags.replace("i", "") + "i"  # -i takes the word after it: INFILE
    words = [command.name]
    if flags:
        words.append("-" + flags)
    for letter, value in command.options:
        words += [f"-{letter}", str(value)]
    naming = command.name in _NAMING  # chattr's "+i" is a word, not a file name
    words += [spell(arg) if naming and isinstance(arg, str) else str(arg) for arg in command.args]
    return " ".join(words)


@dataclass
class _OpenFile:
    path: str
    flags: str  # the scenario's open flags
    closed: bool = False  # copy_range -f closed its descriptor (kernel-semantics §9.8)
    fd: int | None = None  # xfs_io's descriptor number (for exchangerange, §9.10)


@dataclass
class _Mapping:
    path: str
    open_flags: str
    flags: str  # mmap flags as passed to xfs_io (no -D)
    offset: int
    length: int


@dataclass
class RealProcess:
    """A scenario process: its xfs_io, and a mirror of xfs_io's file and mapping tables.

    The mirror is only needed to rebuild the tables when xfs_io dies; it
    follows xfs_io's rules (``close`` and ``munmap`` remove the current entry
    and select the one that takes its index, or the last).
    """

    name: str
    uid: int
    caps: frozenset[str]
    spell: Callable[[str], str] = str  # a file name as xfs_io gets it
    io: XfsIo | None = None
    files: list[_OpenFile] = field(default_factory=list)
    current: int | None = None
    maps: list[_Mapping] = field(default_factory=list)
    current_map: int | None = None

    @property
    def current_path(self) -> str | None:
        return self.files[self.current].path if self.current is not None else None

    def start(self, cwd: str) -> XfsIo:
        """Start (or restart) this process's xfs_io and check it answers."""
        io = XfsIo(cwd, credentials_argv(self.uid, self.caps))
        self.io = io
        reply = io.run("print")
        if reply.died or any("setpriv" in line for line in reply.lines):
            said = " / ".join(reply.lines) or reply.death
            raise OracleFailureError(
                f"mapviz run --real: cannot start xfs_io for process {self.name}: {said}"
            )
        return io

    def track(self, command: Command, fd: int | None = None) -> None:
        """Follow a command that succeeded in the file and mapping tables.

        ``fd`` is the descriptor an ``open`` got in xfs_io.
        """
        name, args = command.name, command.args
        if name == "open":
            self.files.append(_OpenFile(command.word(0), command.flags, fd=fd))
            self.current = len(self.files) - 1
            # open(2) takes the lowest free descriptor: one copy_range -f closed
            stale = next((i for i, f in enumerate(self.files) if f.closed), None)
            if stale is not None:
                self.files[stale] = _OpenFile(command.word(0), command.flags, fd=fd)
        elif name == "copy_range" and command.option("f") is not None and self.files:
            self.files[0].closed = True
        elif name == "close" and self.current is not None:
            del self.files[self.current]
            self.current = min(self.current, len(self.files) - 1) if self.files else None
        elif name == "file" and args:
            self.current = command.number(0)
        elif name == "mmap" and len(args) == 2 and self.current is not None:
            flags = command.flags.replace("D", "")
            entry = self.files[self.current]
            self.maps.append(_Mapping(entry.path, entry.flags, flags, *map(int, args)))
            self.current_map = len(self.maps) - 1
        elif name == "mmap" and len(args) == 1:
            self.current_map = command.number(0)
        elif name == "mremap" and self.current_map is not None:
            self.maps[self.current_map].length = command.number(0)
        elif name == "munmap" and self.current_map is not None:
            del self.maps[self.current_map]
            self.current_map = min(self.current_map, len(self.maps) - 1) if self.maps else None

    def restore(self, cwd: str) -> list[str]:
        """After xfs_io died: a new one with the same files and mappings (new addresses).

        Returns what could not be restored (a file another user may no
        longer open, say), one line each.
        """
        io = self.start(cwd)
        warnings: list[str] = []
        files, maps = self.files, self.maps
        current, current_map = self.current, self.current_map
        self.files, self.maps = [], []
        for entry in files:
            before = open_fds(io.pid)
            if self._open(io, self.spell(entry.path), entry.flags, warnings):
                entry.fd = _new_fd(before, io.pid)
                self.files.append(entry)
        for mapping in maps:
            index = next((i for i, f in enumerate(self.files) if f.path == mapping.path), None)
            if index is None:  # closed after mmap: open it just to map it
                if not self._open(io, self.spell(mapping.path), mapping.open_flags, warnings):
                    continue
            else:
                io.run(f"file {index}")
            flags = f"-{mapping.flags} " if mapping.flags else ""
            reply = io.run(f"mmap {flags}{mapping.offset} {mapping.length}")
            if index is None:
                io.run("close")
            result, why = classify(reply.lines)
            if reply.died or result != "ok":
                warnings.append(f"could not re-create a mapping of {mapping.path}: {why}")
                continue
            self.maps.append(mapping)
        self.current = min(current or 0, len(self.files) - 1) if self.files else None
        if self.current is not None:
            io.run(f"file {self.current}")
        self.current_map = min(current_map or 0, len(self.maps) - 1) if self.maps else None
        if self.current_map is not None:
            io.run(f"mmap {self.current_map}")
        return warnings

    @staticmethod
    def _open(io: XfsIo, path: str, flags: str, warnings: list[str]) -> bool:
        # Never create or truncate again: the file is what it was.
        kept = "".join(flag for flag in flags if flag not in "ft")
        reply = io.run(f"open {'-' + kept + ' ' if kept else ''}{path}")
        result, why = classify(reply.lines)
        if reply.died:
            raise OracleFailureError(f"mapviz run --real: xfs_io died re-opening {path}")
        if result != "ok":
            warnings.append(f"could not re-open {path}: {why}")
            return False
        return True


class Recorder:
    """Runs a scenario's items on a mounted :class:`Testbed` and records the steps."""

    def __init__(self, scenario: Scenario, testbed: Testbed) -> None:
        self.scenario = scenario
        self.testbed = testbed
        self.processes: dict[str, RealProcess] = {}
        self.process_name = "app"
        self.named: list[str] = []
        self._fds: dict[str, int] = {}
        testbed.on_cleanup(self.close)

    # --- the run ---------------------------------------------------------------

    def run(self) -> list[dict[str, Any]]:
        """Every step, in order, as ``mapviz run --json`` steps (``events`` empty)."""
        steps: list[dict[str, Any]] = []
        note: str | None = None
        for item in self.scenario.items:
            if isinstance(item, Note):
                note = item.text if note is None else f"{note} {item.text}"
            elif isinstance(item, Proc):
                self._switch(item)
            elif isinstance(item, Expect):
                steps[-1]["expect"] = "EOPNOTSUPP" if item.result == "ENOTSUP" else item.result
            elif isinstance(item, Command):
                step = self._step(item)
                if note is not None:
                    step["note"] = note
                    note = None
                steps.append(step)
            # The other directives were refused before the run (support.check_runnable).
        return steps

    def _switch(self, item: Proc) -> None:
        if item.name not in self.processes:
            uid = item.uid or 0
            default = CAPABILITIES if uid == 0 else frozenset[str]()
            caps = item.caps if item.caps is not None else default
            self.processes[item.name] = RealProcess(item.name, uid, caps, self.testbed.xfs_io_path)
        self.process_name = item.name

    @property
    def process(self) -> RealProcess:
        if self.process_name not in self.processes:
            self.processes[self.process_name] = RealProcess(
                self.process_name, 0, CAPABILITIES, self.testbed.xfs_io_path
            )
        return self.processes[self.process_name]

    def _step(self, command: Command) -> dict[str, Any]:
        process = self.process
        extra: dict[str, Any] = {}
        if command.name in ("swapon", "swapoff"):
            file, result, why = process.current_path, *self._swap(command.name, process)
        else:
            file, result, why, extra = self._command(command, process)
        return {
            "line": command.line,
            "command": command.text,
            "process": process.name,
            "file": file,
            "result": result,
            "why": why,
            "events": [],
            **extra,
            "files": self.snapshot(),
        }

    def _command(
        self, command: Command, process: RealProcess
    ) -> tuple[str | None, str, str | None, dict[str, Any]]:
        """(file, result, why, extra keys) of one xfs_io command."""
        if command.name in _NAMING:
            for arg in command.args:
                if isinstance(arg, str):
                    self._mention(arg)
        io = process.io if process.io is not None else process.start(self.testbed.mnt)
        file = process.current_path
        if command.name == "exchangerange":
            return (file, *self._exchange(command, process, io), {})
        line = xfs_io_line(command, self.testbed.xfs_io_path)
        before = open_fds(io.pid) if command.name == "open" else set()
        reply = io.run(line)
        extra: dict[str, Any] = {"restarted": True}
        if reply.died and reply.exit_code is not None and command.name in _ENDS_XFS_IO:
            result, why = classify(reply.lines)
            warnings = process.restore(self.testbed.mnt)
            if warnings:
                extra["restore_warnings"] = warnings
            return file, result, why, extra
        if reply.died:
            warnings = process.restore(self.testbed.mnt)
            if warnings:
                extra["restore_warnings"] = warnings
            return file, reply.death, f"xfs_io was killed by {reply.death} during `{line}`", extra
        for said in reply.lines:
            if _FOREIGN in said:
                return (file, *self._foreign(command, process, said), {})
            if any(refusal in said for refusal in _REFUSALS):
                return file, SKIPPED, f"xfs_io did not issue it: {said}", {}
        result, why = classify(reply.lines)
        if result == "ok" and command.name == "dedupe":
            differs = next((said for said in reply.lines if "did not match" in said), None)
            if differs is not None:
                # FILE_DEDUPE_RANGE_DIFFERS is not an errno; EBADE is the
                # kernel's internal code for it (SCENARIO.md "Results").
                result, why = "EBADE", differs
        if result == "ok":
            process.track(command, _new_fd(before, io.pid) if command.name == "open" else None)
            if command.name in ("open", "file"):
                file = process.current_path
        return file, result, why, {}

    def _foreign(self, command: Command, process: RealProcess, said: str) -> tuple[str, str]:
        """A command xfs_io runs on XFS files only: issue its ioctl ourselves, record the answer.

        For an ioctl the VFS itself serves on any filesystem (``unresvsp``,
        ``zero``: fs/ioctl.c turns them into fallocate), issuing it would do
        what xfs_io did not: the step is ``skipped``, as xfs_io left it.
        """
        if command.name in _VFS_IOCTLS:
            return SKIPPED, f"xfs_io did not issue it: {said}"
        request = _XFS_ONLY_IOCTL.get(command.name)
        path = process.current_path
        if request is None or path is None:
            raise ScenarioError(
                self.scenario.source,
                command.line,
                f"{command.name}: xfs_io runs this command on XFS files only (it said: {said})",
            )
        self.snapshot()  # makes sure we hold a descriptor of the file
        number, size = request
        try:
            fcntl.ioctl(self._fds[path], number, bytearray(size), True)
        except OSError as error:
            name = errno_name(error.errno or 0)
            return name, f'xfs_io said "{said}"; the ioctl it would issue fails with {name}'
        raise OracleFailureError(
            f"mapviz run --real: the XFS-only {command.name} ioctl worked on {path}"
        )

    def _exchange(
        self, command: Command, process: RealProcess, io: XfsIo
    ) -> tuple[str, str | None]:
        """``exchangerange``, which xfs_io 6.1 lacks: what xfs_io 6.10's io/exchrange.c does.

        xfs_io itself opens the donor read-write (so its credentials and
        errors are the process's own); then the ioctl goes to xfs_io's own
        open files (pidfd_getfd(): the same struct files, flags and all);
        then xfs_io closes the donor and the current file is selected again.
        """
        current = process.current
        if current is None:
            return SKIPPED, "xfs_io did not issue it: no files are open, try 'help open'"
        if self.testbed.fs.type != "xfs":
            said = "foreign file active, exchangerange command is for XFS filesystems only"
            return SKIPPED, f"xfs_io did not issue it: {said}"
        target = process.files[current]
        donor = command.word(0)
        self._mention(donor)
        before = open_fds(io.pid)
        reply = io.run(f"open {self.testbed.xfs_io_path(donor)}")
        result, why = classify(reply.lines)
        if reply.died:
            raise OracleFailureError(f"mapviz run --real: xfs_io died opening {donor}")
        if result != "ok":
            return result, why
        donor_fd = _new_fd(before, io.pid)
        try:
            if donor_fd is None or target.fd is None:
                raise OracleFailureError(
                    "mapviz run --real: cannot find xfs_io's descriptors for exchangerange"
                )
            result, why = _exchange_ioctl(io.pid, donor_fd, target.fd, command)
        finally:
            io.run("close")  # xfs_io's close(fd) of the donor: ->release()
            io.run(f"file {current}")
        return result, why

    def _swap(self, kind: str, process: RealProcess) -> tuple[str, str | None]:
        """``%swapon`` (mkswap + swapon(2)) or ``%swapoff``: (result, why)."""
        name = process.current_path
        if name is None:
            return SKIPPED, f"%{kind}: no file is open in process {process.name}"
        path = self.testbed.path(name)
        if kind == "swapoff":
            error = swapoff(path)
            return _outcome("swapoff", error)
        if path not in active_swapfiles(self.testbed.mnt):
            try:
                _mkswap(path)
            except OSError as failure:
                number = failure.errno or 0
                return errno_name(number), f"mkswap: {os.strerror(number)}"
        return _outcome("swapon", swapon(path))

    # --- what the files look like ----------------------------------------------

    def _mention(self, name: str) -> None:
        if name not in self.named:
            self.named.append(name)

    def snapshot(self) -> dict[str, Any]:
        """Size and FIEMAP map (no FIEMAP_FLAG_SYNC) of every named file that exists."""
        files: dict[str, Any] = {}
        for name in self.named:
            fd = self._fds.get(name)
            if fd is None:
                fd = self._open(name)
                if fd is None:
                    continue
            status = os.fstat(fd)
            if status.st_nlink == 0:
                continue
            files[name] = {"size": status.st_size, "extents": self._extents(fd, name)}
        return files

    def _open(self, name: str) -> int | None:
        path = self.testbed.path(name)
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                return None
        except FileNotFoundError:
            return None
        try:
            fd, _ = open_regular(path)
        except RealFileError as error:
            raise OracleFailureError(f"mapviz run --real: {error}") from None
        self._fds[name] = fd
        return fd

    @staticmethod
    def _extents(fd: int, name: str) -> list[dict[str, Any]]:
        try:
            batches = list(iter_fiemap(fd, sync=False, path=name))
        except (FiemapUnsupportedError, RealFileError) as error:
            raise OracleFailureError(
                f"mapviz run --real: FIEMAP of {name} failed: {error}"
            ) from None
        records = [record for batch in batches for record in batch.tuples()]
        return [run._asdict() for run in merged_runs(records)]

    def close(self) -> None:
        """Stop every xfs_io and close our descriptors (cleanup, before the unmount)."""
        for process in self.processes.values():
            if process.io is not None:
                process.io.quit()
        for fd in self._fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds = {}


def open_fds(pid: int) -> set[int]:
    """The descriptors process ``pid`` has open now."""
    return {int(name) for name in os.listdir(f"/proc/{pid}/fd")}


def _new_fd(before: set[int], pid: int) -> int | None:
    """The descriptor an ``open`` just gave xfs_io (``None`` if none appeared)."""
    new = open_fds(pid) - before
    return min(new) if new else None


# XFS_IOC_EXCHANGE_RANGE = _IOW('X', 129, struct xfs_exchange_range), 40 bytes:
# s32 file1_fd, u32 pad, u64 file1_offset, file2_offset, length, flags
# (fs/xfs/libxfs/xfs_fs.h); kernel-semantics §9.10.
_EXCHANGE_RANGE = (1 << 30) | (40 << 16) | (ord("X") << 8) | 129
_EXCHANGE_TO_EOF, _EXCHANGE_DSYNC, _EXCHANGE_DRY_RUN = 1, 2, 4
_SYS_PIDFD_GETFD = 438  # the same number on every architecture


def _exchange_ioctl(
    pid: int, donor_fd: int, target_fd: int, command: Command
) -> tuple[str, str | None]:
    """The ioctl xfs_io 6.10 makes, on duplicates of xfs_io's own two descriptors."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    fds: list[int] = []
    try:
        for fd in (donor_fd, target_fd):
            got = libc.syscall(_SYS_PIDFD_GETFD, pidfd, fd, 0)
            if got < 0:
                number = ctypes.get_errno()
                raise OracleFailureError(
                    f"mapviz run --real: pidfd_getfd of xfs_io's fd {fd}: {os.strerror(number)}"
                )
            fds.append(got)
        file1, file2 = fds
        length = command.option("l")
        flags = _EXCHANGE_TO_EOF if length is None else 0
        if length is None:
            length = os.fstat(file2).st_size  # xfs_io: fstat(file->fd)
        flags |= _EXCHANGE_DSYNC if command.has("f") else 0
        flags |= _EXCHANGE_DRY_RUN if command.has("n") else 0
        request = struct.pack(
            "=iIQQQQ",
            file1,
            0,
            command.option("s", 0) or 0,
            command.option("d", 0) or 0,
            length,
            flags,
        )
        try:
            fcntl.ioctl(file2, _EXCHANGE_RANGE, bytearray(request), True)
        except OSError as error:
            number = error.errno or 0
            return errno_name(number), f"exchangerange: {os.strerror(number)}"
        return "ok", None
    finally:
        for fd in fds:
            os.close(fd)  # our duplicates: xfs_io still holds the files
        os.close(pidfd)


def _outcome(call: str, error: int) -> tuple[str, str | None]:
    """(result, why) of a system call that returned ``error`` (0: success)."""
    if not error:
        return "ok", None
    return errno_name(error), f"{call}: {os.strerror(error)}"


def _mkswap(path: str) -> None:
    """Write the swap header into page 0 through the page cache, fsync, close."""
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        os.pwrite(fd, swap_header(os.fstat(fd).st_size), 0)
        os.fsync(fd)
    finally:
        os.close(fd)
