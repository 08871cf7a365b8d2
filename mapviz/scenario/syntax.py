"""What a parsed scenario is made of: commands, directives and the header.

These frozen records are the contract between the parser (which builds them
from text) and the simulation core (which runs them).  Numbers are already in
bytes: the parser has applied suffixes (``64k``, ``2b``) with the scenario's
block size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KERNEL_MODELS = ("mainline", "map-direct-v5", "map-direct-lease", "map-sync")
DEFAULT_KERNEL = "map-direct-v5"
FS_TYPES = ("xfs", "ext4")


@dataclass(frozen=True, slots=True)
class FsConfig:
    """The simulated filesystem, from ``%fs`` (SCENARIO.md "Directives")."""

    type: str = "xfs"
    blocksize: int = 4096
    size: int = 64 << 20
    dax: bool = False
    reflink: bool = True
    exchange: bool = False  # XFS's exchange-range feature (mkfs.xfs -i exchange=1)

    def to_json(self) -> dict[str, object]:
        """The ``fs`` object of ``mapviz run --json`` (SCENARIO.md schema 1)."""
        config: dict[str, object] = {
            "type": self.type,
            "blocksize": self.blocksize,
            "size": self.size,
            "dax": self.dax,
            "reflink": self.reflink,
        }
        if self.exchange:  # only when asked for: older recordings stay as they were
            config["exchange"] = True
        return config

    def describe(self) -> str:
        """One line for headers, e.g. ``xfs, 4 KiB blocks, 64 MiB, DAX``."""
        from mapviz.scenario.numbers import human_bytes

        parts = [self.type, f"{human_bytes(self.blocksize)} blocks", human_bytes(self.size)]
        if self.dax:
            parts.append("DAX")
        if self.type == "xfs" and not self.reflink:
            parts.append("no reflink")
        if self.exchange:
            parts.append("exchange-range")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Command:
    """One step: an xfs_io command line, or ``%swapon`` / ``%swapoff``.

    ``name`` is the xfs_io command (``pwrite``, ``mmap`` ...) or ``swapon`` /
    ``swapoff`` for the two step directives.  ``flags`` holds the letters of
    flags without a value, in the order given, each once (``"k"``, ``"rw"``).
    ``options`` holds flags with a value (``-S seed``, ``-b bs``), ``args`` the
    positional arguments: numbers in bytes, file names as ``str``; ``chattr``
    keeps its ``+i`` / ``-i`` words as strings.
    """

    line: int
    text: str
    name: str
    flags: str = ""
    options: tuple[tuple[str, int], ...] = ()
    args: tuple[int | str, ...] = ()

    def has(self, flag: str) -> bool:
        """True if the flag letter was given (with or without a value)."""
        return flag in self.flags or any(letter == flag for letter, _ in self.options)

    def option(self, letter: str, default: int | None = None) -> int | None:
        """The value given with ``-letter``, or ``default``."""
        for name, value in self.options:
            if name == letter:
                return value
        return default

    def number(self, index: int) -> int:
        """Positional argument ``index`` as a number (the parser checked its kind)."""
        value = self.args[index]
        assert isinstance(value, int), (self.text, index)
        return value

    def word(self, index: int) -> str:
        """Positional argument ``index`` as a word (a file name, ``+i``)."""
        value = self.args[index]
        assert isinstance(value, str), (self.text, index)
        return value


@dataclass(frozen=True, slots=True)
class Proc:
    """``%proc NAME [uid=N] [nocap] [cap=CAP_X,...]``: switch to (or create) a process.

    ``uid`` and ``caps`` are ``None`` when the line does not set them (an
    existing process keeps its credentials; a new one gets uid 0 and, for
    uid 0, every capability).  ``caps`` holds lower-case names without the
    ``cap_`` prefix (``linux_immutable``); ``nocap`` is ``frozenset()``.
    """

    line: int
    name: str
    uid: int | None = None
    caps: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Sleep:
    """``%sleep SECONDS``: advance simulated time."""

    line: int
    seconds: float


@dataclass(frozen=True, slots=True)
class LeaseBreakTime:
    """``%lease-break-time SECONDS`` for the lease model."""

    line: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Note:
    """``%note TEXT``: narration shown with the next step."""

    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Expect:
    """``%expect RESULT``: the previous step must end in ``result``."""

    line: int
    result: str


@dataclass(frozen=True, slots=True)
class ExtentSpec:
    """``%extent OFF LEN [PHYS] [unwritten] [shared]``: place an extent directly.

    ``offset``, ``length`` and ``physical`` are bytes; ``physical`` is ``None``
    when the allocator should choose.  The file size is not changed.
    """

    line: int
    offset: int
    length: int
    physical: int | None = None
    unwritten: bool = False
    shared: bool = False


Item = Command | Proc | Sleep | LeaseBreakTime | Note | Expect | ExtentSpec
"""Anything in a scenario body, in source order."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """A parsed scenario: its header and its items in source order."""

    name: str
    source: str
    text: str
    title: str
    kernel: str = DEFAULT_KERNEL
    fs: FsConfig = field(default_factory=FsConfig)
    items: tuple[Item, ...] = ()

    @property
    def commands(self) -> tuple[Command, ...]:
        """The steps (xfs_io commands and ``%swapon`` / ``%swapoff``)."""
        return tuple(item for item in self.items if isinstance(item, Command))
