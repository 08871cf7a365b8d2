"""Processes, their open files, their mappings (VMAs) and page tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from sortedcontainers import SortedDict

PAGE_SIZE = 4096
"""Bytes in a page: the unit of page tables, the page cache and faults (x86-64, arm64 4k)."""

MAPPING_BASE = 0x7F0000000000
"""Where the first mapping of every process goes; later ones go below it (§9.9)."""

ALL_CAPABILITIES = frozenset(
    [
        "chown",
        "dac_override",
        "dac_read_search",
        "fowner",
        "fsetid",
        "kill",
        "setgid",
        "setuid",
        "setpcap",
        "linux_immutable",
        "net_bind_service",
        "net_broadcast",
        "net_admin",
        "net_raw",
        "ipc_lock",
        "ipc_owner",
        "sys_module",
        "sys_rawio",
        "sys_chroot",
        "sys_ptrace",
        "sys_pacct",
        "sys_admin",
        "sys_boot",
        "sys_nice",
        "sys_resource",
        "sys_time",
        "sys_tty_config",
        "mknod",
        "lease",
        "audit_write",
        "audit_control",
        "setfcap",
        "mac_override",
        "mac_admin",
        "syslog",
        "wake_alarm",
        "block_suspend",
        "audit_read",
        "perfmon",
        "bpf",
        "checkpoint_restore",
    ]
)


class Pte(NamedTuple):
    """A present page-table entry.

    ``target`` is ``frame`` (a page-cache frame), ``anon`` (an anonymous
    frame: private copy or anonymous memory), ``block`` (a DAX device block)
    or ``zero`` (the shared zero page, read-only); ``number`` is the frame or
    block number (0 for the zero page).
    """

    target: str
    number: int
    writable: bool


@dataclass(slots=True)
class Mapping:
    """One mapping (VMA) of a process: ``[start, start + length)``.

    ``file`` names the mapped file (``None`` for an anonymous mapping) and
    ``file_offset`` the file offset of ``start``.  ``direct`` is MAP_DIRECT
    (v5 seal or lease model), ``sync`` MAP_SYNC; ``revoked`` is set when a
    lease-model MAP_DIRECT lease timed out (every later fault: SIGBUS, §1.4).
    """

    id: int
    process: str
    start: int
    length: int
    file: str | None
    file_offset: int
    readable: bool
    writable: bool
    executable: bool
    shared: bool
    direct: bool = False
    sync: bool = False
    revoked: bool = False
    ptes: SortedDict[int, Pte] = field(default_factory=SortedDict)  # virtual page -> Pte
    opened: int = 0  # OpenFile.serial of the open file it maps (it holds a reference)
    opened_writable: bool = False  # ... and whether that file was opened for writing

    @property
    def end(self) -> int:
        return self.start + self.length

    def page_at(self, file_offset: int) -> int:
        """The virtual page that maps byte ``file_offset`` of the file (or of the mapping)."""
        return (self.start + file_offset - self.file_offset) // PAGE_SIZE

    def file_page(self, virtual_page: int) -> int:
        """The file page mapped at ``virtual_page``."""
        return (virtual_page * PAGE_SIZE - self.start + self.file_offset) // PAGE_SIZE

    def virtual_page(self, file_page: int) -> int:
        return (file_page * PAGE_SIZE - self.file_offset + self.start) // PAGE_SIZE

    def file_pages(self) -> tuple[int, int]:
        """File pages ``[first, stop)`` this mapping covers."""
        first = self.file_offset // PAGE_SIZE
        return first, first + -(-self.length // PAGE_SIZE)

    def entries(self, first_page: int, stop_page: int) -> Iterator[tuple[int, Pte]]:
        """Present entries for virtual pages ``[first_page, stop_page)``."""
        for page in self.ptes.irange(first_page, stop_page - 1):
            yield page, self.ptes[page]

    def describe(self) -> str:
        kind = "MAP_SHARED" if self.shared else "MAP_PRIVATE"
        if self.direct:
            kind += "|MAP_DIRECT"
        if self.sync:
            kind += "|MAP_SYNC"
        what = self.file if self.file is not None else "anonymous memory"
        return f"{kind} mapping of {what} at {self.start:#x}"

    def copy(self) -> Mapping:
        clone = Mapping(
            self.id,
            self.process,
            self.start,
            self.length,
            self.file,
            self.file_offset,
            self.readable,
            self.writable,
            self.executable,
            self.shared,
            self.direct,
            self.sync,
            self.revoked,
        )
        clone.ptes = self.ptes.copy()
        clone.opened = self.opened
        clone.opened_writable = self.opened_writable
        return clone


@dataclass(slots=True)
class OpenFile:
    """An entry of a process's file table (xfs_io's ``print``)."""

    name: str
    readable: bool
    writable: bool
    serial: int = 0  # which open(2) it came from (a mapping keeps that open file alive)
    # struct file_ra_state: the readahead window of this open file (ops/readahead.py)
    ra_start: int = 0
    ra_size: int = 0
    ra_async: int = 0
    ra_order: int = 0
    ra_prev_pos: int = -1
    # open flags that change what reads and writes do (§9.2, §9.3)
    sync: bool = False  # O_SYNC: each write is flushed before it returns
    append: bool = False  # O_APPEND: each write goes to EOF
    direct: bool = False  # O_DIRECT: reads and writes bypass the page cache
    # posix_fadvise(2) readahead hints (§9.5): FMODE_RANDOM, and ra->ra_pages (0: the default)
    ra_random: bool = False
    ra_max: int = 0
    # the file position (f_pos): xfs_io reads and writes with pread/pwrite, so only
    # sendfile, which writes at the output's position, moves it (§9.8)
    position: int = 0
    # the descriptor was closed behind xfs_io's back (copy_range -f, §9.8): the
    # entry stays in the table and every call on it is EBADF
    closed: bool = False


@dataclass(slots=True)
class Process:
    """A process: credentials, open files and mappings, each with a current entry as in xfs_io."""

    name: str
    uid: int = 0
    caps: frozenset[str] = ALL_CAPABILITIES
    files: list[OpenFile] = field(default_factory=list)
    current_file: int | None = None
    mappings: list[Mapping] = field(default_factory=list)
    current_mapping: int | None = None
    # the top of the process's mmap area: everything above it is taken (the
    # program's own mappings); set by the first mapping, which ends there (§9.9)
    mmap_top: int = 0
    # xfs_io's global ``vectors`` (pwrite -V N): it stays for later pwrites (§9.4),
    # and its plain buffer's size (``highwater``, 0: never allocated)
    io_vectors: int = 0
    io_buffer: int = 0

    def capable(self, capability: str) -> bool:
        return capability in self.caps

    def free_area(self, span: int) -> int:
        """get_unmapped_area() top-down: the highest free ``span`` bytes under the top (§9.9).

        >>> p = Process("app")
        >>> hex(p.free_area(8192))
        '0x7f0000000000'
        """
        if not self.mmap_top:
            self.mmap_top = MAPPING_BASE + span
        upper = self.mmap_top
        for mapping in sorted(self.mappings, key=lambda m: m.start, reverse=True):
            end = mapping.start + -(-mapping.length // PAGE_SIZE) * PAGE_SIZE
            if end <= upper and upper - end >= span:
                return upper - span
            upper = min(upper, mapping.start)
        return upper - span

    def is_free(self, start: int, stop: int, ignore: Mapping | None = None) -> bool:
        """Whether no mapping (but ``ignore``) overlaps ``[start, stop)``, below the top."""
        if stop > self.mmap_top:
            return False
        return not any(
            m.start < stop and start < m.start + -(-m.length // PAGE_SIZE) * PAGE_SIZE
            for m in self.mappings
            if m is not ignore
        )

    def open_file(self) -> OpenFile | None:
        if self.current_file is None:
            return None
        return self.files[self.current_file]

    def mapping(self) -> Mapping | None:
        if self.current_mapping is None:
            return None
        return self.mappings[self.current_mapping]

    def copy(self) -> Process:
        return Process(
            self.name,
            self.uid,
            self.caps,
            [
                OpenFile(
                    f.name,
                    f.readable,
                    f.writable,
                    f.serial,
                    f.ra_start,
                    f.ra_size,
                    f.ra_async,
                    f.ra_order,
                    f.ra_prev_pos,
                    f.sync,
                    f.append,
                    f.direct,
                    f.ra_random,
                    f.ra_max,
                    f.position,
                    f.closed,
                )
                for f in self.files
            ],
            self.current_file,
            [m.copy() for m in self.mappings],
            self.current_mapping,
            self.mmap_top,
            self.io_vectors,
            self.io_buffer,
        )
