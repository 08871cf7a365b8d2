"""The ``%`` directives of a scenario, one line at a time (SCENARIO.md "Directives").

Each directive line becomes a record: an :data:`~mapviz.scenario.syntax.Item`
for the body (``%proc``, ``%note``, ``%expect`` ...) or a :data:`Header`
(``%title``, ``%kernel``, ``%fs``) that sets a field of the
:class:`~mapviz.scenario.syntax.Scenario`.  Rules that span lines (``%fs``
only once, ``%expect`` after a step, process credentials) are the parser's.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from mapviz.scenario.lexer import (
    LARGEST,
    WHITESPACE,
    LineError,
    parse_number,
    quote,
    split_words,
    strip_comment,
    suggest,
)
from mapviz.scenario.names import check_text_name
from mapviz.scenario.numbers import short_bytes
from mapviz.scenario.syntax import (
    FS_TYPES,
    KERNEL_MODELS,
    Command,
    Expect,
    ExtentSpec,
    FsConfig,
    Item,
    LeaseBreakTime,
    Note,
    Proc,
    Scenario,
    Sleep,
)

# From include/uapi/linux/capability.h, in its order (CAP_CHOWN is 0).
_CAPABILITY_NAMES = """
    chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap
    linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner
    sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot sys_nice
    sys_resource sys_time sys_tty_config mknod lease audit_write audit_control setfcap
    mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon bpf
    checkpoint_restore
"""
CAPABILITIES = frozenset(_CAPABILITY_NAMES.split())
"""Linux capability names (``include/uapi/linux/capability.h``), lower case, no ``cap_``."""

RESULTS = frozenset({"ok", "skipped", "SIGBUS", "SIGSEGV", "EOPNOTSUPP", *errno.errorcode.values()})
"""What ``%expect`` may name.  Python calls errno 95 ENOTSUP; the kernel's name is EOPNOTSUPP."""

LARGEST_UID = 0xFFFFFFFE  # (uid_t)-1 means "no change" to the kernel: not a user
MIN_FS_SIZE = 16 << 20
MAX_FS_SIZE = 16 << 40
MAX_SECONDS = 1e9
_DEFAULT_FS = FsConfig()
_FS_USAGE = "%fs xfs|ext4 [blocksize=N] [size=N] [dax] [noreflink] [exchange]"
_FS_OPTIONS = {
    "blocksize": True,
    "size": True,
    "dax": False,
    "noreflink": False,
    "exchange": False,
}
_PROC_OPTIONS = {"uid": True, "nocap": False, "cap": True}
_DIGIT = re.compile("[0-9]")
_SECONDS = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")
_NOTE_USAGE = "%note [MODEL,...] TEXT"
ALL_MODELS = "*"
"""In a scoped note's model list: every kernel model."""


@dataclass(frozen=True, slots=True)
class Title:
    """``%title TEXT``."""

    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Kernel:
    """``%kernel MODEL``."""

    line: int
    model: str


@dataclass(frozen=True, slots=True)
class FsLine:
    """``%fs TYPE ...`` and the filesystem it describes."""

    line: int
    config: FsConfig


@dataclass(frozen=True, slots=True)
class ScopedNote(Note):
    """``%note [MODEL,...] TEXT``: narration for the listed kernel models only.

    ``models`` holds kernel model names, or :data:`ALL_MODELS`; a plain
    :class:`~mapviz.scenario.syntax.Note` belongs to the scenario's own
    ``%kernel`` (:func:`note_under` says how each is shown).  It is a ``Note``,
    so whatever takes notes takes it (as text for every model, until it asks
    :func:`note_under`).
    """

    models: tuple[str, ...] = ()


Header = Title | Kernel | FsLine
"""A directive that sets the scenario's header rather than adding an item."""

HEADER_DIRECTIVES = ("%title", "%kernel", "%fs")


def parse_directive(text: str, line: int, fs: FsConfig) -> Header | Item:
    """The record for one directive line; ``text`` starts with ``%``, without outer blanks.

    ``fs`` is the filesystem so far: ``%extent`` needs its block and device size.

    Raises
    ------
    LineError
        An unknown directive or a malformed argument.

    Examples
    --------
    >>> parse_directive("%expect EINVAL   # punch needs a length", 9, FsConfig())
    Expect(line=9, result='EINVAL')
    >>> parse_directive("%fs ext4 blocksize=1k size=32m", 1, FsConfig()).config.reflink
    False
    """
    head = directive_name(text)
    handler = _HANDLERS.get(head[1:])
    if handler is None:
        hint = suggest(head, _NAMES) or f" (directives: {' '.join(_NAMES)})"
        raise LineError(f"unknown directive {quote(head)}{hint}")
    try:
        return handler(text[len(head) :], line, fs)
    except LineError as problem:
        raise LineError(f"{head}: {problem}") from None


def directive_name(text: str) -> str:
    """The first word of a directive line as written, ``%`` included.

    >>> directive_name("%fs xfs dax")
    '%fs'
    """
    end = next((i for i, char in enumerate(text) if char in WHITESPACE), len(text))
    return text[:end]


def _words(rest: str, usage: str) -> tuple[str, ...]:
    """The words of ``rest``: as many as ``usage`` (``"%kernel MODEL"``) names."""
    names = usage.split()[1:]
    words = split_words(rest).words
    if len(words) < len(names):
        raise LineError(f"missing {' '.join(names[len(words) :])} (usage: {usage})")
    if len(words) > len(names):
        raise LineError(f"unexpected argument {quote(words[len(names)])} (usage: {usage})")
    return words


def _title(rest: str, line: int, fs: FsConfig) -> Title:
    text = strip_comment(rest)
    if not text:
        raise LineError("missing TEXT (usage: %title TEXT)")
    return Title(line, text)


def _kernel(rest: str, line: int, fs: FsConfig) -> Kernel:
    (model,) = _words(rest, "%kernel MODEL")
    if model not in KERNEL_MODELS:
        hint = suggest(model, KERNEL_MODELS) or f" (models: {', '.join(KERNEL_MODELS)})"
        raise LineError(f"unknown model {quote(model)}{hint}")
    return Kernel(line, model)


def _fs(rest: str, line: int, fs: FsConfig) -> FsLine:
    words = split_words(rest).words
    if not words:
        raise LineError(f"missing TYPE (usage: {_FS_USAGE})")
    kind = words[0]
    if kind not in FS_TYPES:
        hint = suggest(kind, FS_TYPES) or " (mapviz models xfs and ext4; the type comes first)"
        raise LineError(f"unknown filesystem type {quote(kind)}{hint}")
    given = _keywords(words[1:], _FS_OPTIONS)
    blocksize = _DEFAULT_FS.blocksize
    if "blocksize" in given:
        blocksize = _blocksize(given["blocksize"])
    size = _DEFAULT_FS.size
    if "size" in given:
        # The size may count blocks ("size=16384b"): of the block size given on this line.
        word = given["size"]
        size = parse_number(word, blocksize, "size")
        if not MIN_FS_SIZE <= size <= MAX_FS_SIZE:
            raise LineError(f"size {quote(word)} is out of range (16m to 16t)")
        if size % blocksize:
            raise LineError(
                f"size {quote(word)} is not a multiple of the block size ({short_bytes(blocksize)})"
            )
    # ext4 has no reflink at all; XFS has it unless the scenario turns it off.
    reflink = kind == "xfs" and "noreflink" not in given
    if "exchange" in given and kind != "xfs":
        raise LineError("exchange (the exchange-range feature) is an XFS feature")
    config = FsConfig(kind, blocksize, size, "dax" in given, reflink, "exchange" in given)
    return FsLine(line, config)


def _blocksize(word: str) -> int:
    """The ``blocksize=`` of ``%fs``: 1k, 2k or 4k."""
    if word[-1:] in ("b", "B"):
        raise LineError(f"a block size cannot be counted in blocks: {quote(word)}")
    value = parse_number(word, what="block size")  # "b" refused above: no unit yet
    if value not in (1024, 2048, 4096):
        raise LineError(
            f"blocksize {quote(word)} is not supported: it must be 1k, 2k or 4k "
            "(the page size is 4 KiB and mapviz models blocks no larger than a page)"
        )
    return value


def _keywords(words: tuple[str, ...], accepted: dict[str, bool]) -> dict[str, str]:
    """``key=value`` and bare ``key`` words; ``accepted`` says which keys take a value."""
    found: dict[str, str] = {}
    for word in words:
        key, equals, value = word.partition("=")
        if key not in accepted:
            raise LineError(f"unknown option {quote(word)}{suggest(key, accepted)}")
        if accepted[key] and not equals:
            raise LineError(f"{quote(key)} needs a value ({key}=...)")
        if not accepted[key] and equals:
            raise LineError(f"{quote(key)} takes no value (got {quote(word)})")
        if key in found:
            raise LineError(f"{quote(key)} given twice")
        found[key] = value
    return found


def _proc(rest: str, line: int, fs: FsConfig) -> Proc:
    words = split_words(rest).words
    if not words:
        raise LineError("missing NAME (usage: %proc NAME [uid=N] [nocap] [cap=CAP_X,...])")
    name = words[0]
    check_text_name(name, "process name")
    if "=" in name:
        raise LineError(
            f'bad process name {quote(name)}: "=" belongs to the options (uid=N, cap=...); '
            "the name comes first"
        )
    given = _keywords(words[1:], _PROC_OPTIONS)
    if "nocap" in given and "cap" in given:
        raise LineError('"nocap" and "cap=" exclude each other')
    uid = _uid(given["uid"]) if "uid" in given else None
    caps: frozenset[str] | None = frozenset() if "nocap" in given else None
    if "cap" in given:
        caps = _capabilities(given["cap"])
    return Proc(line, name, uid, caps)


def _uid(word: str) -> int:
    if re.fullmatch(r"[0-9]{1,10}", word) is None or int(word) > LARGEST_UID:
        raise LineError(f"bad uid {quote(word)} (a decimal number, 0 to {LARGEST_UID})")
    return int(word)


def _capabilities(text: str) -> frozenset[str]:
    """``cap=CAP_A,b``: lower-case names without ``cap_``, each a Linux capability."""
    caps = set()
    for word in text.split(","):
        name = word.lower().removeprefix("cap_")
        if name not in CAPABILITIES:
            problem = (
                "empty capability name (nocap: none)"
                if not word
                else f"unknown capability {quote(word)}"
            )
            raise LineError(f"{problem}{suggest(name, CAPABILITIES)}")
        caps.add(name)
    return frozenset(caps)


def _swap(name: str) -> Callable[[str, int, FsConfig], Command]:
    """The handler of ``%swapon`` / ``%swapoff``: a step with no arguments."""

    def handler(rest: str, line: int, fs: FsConfig) -> Command:
        _words(rest, f"%{name}")
        return Command(line, f"%{name}", name)

    return handler


def _seconds(rest: str, directive: str) -> float:
    (word,) = _words(rest, f"{directive} SECONDS")
    if _SECONDS.fullmatch(word) is None or float(word) > MAX_SECONDS:
        raise LineError(f"bad number of seconds {quote(word)} (a decimal number from 0 to 1e9)")
    return float(word)


def _sleep(rest: str, line: int, fs: FsConfig) -> Sleep:
    return Sleep(line, _seconds(rest, "%sleep"))


def _lease_break_time(rest: str, line: int, fs: FsConfig) -> LeaseBreakTime:
    return LeaseBreakTime(line, _seconds(rest, "%lease-break-time"))


def _note(rest: str, line: int, fs: FsConfig) -> Note:
    text = strip_comment(rest)
    if not text:
        raise LineError("missing TEXT (usage: %note TEXT)")
    if not text.startswith("["):
        return Note(line, text)
    close = text.find("]")
    if close < 0:
        raise LineError(f'the model list has no closing "]" (usage: {_NOTE_USAGE})')
    models = _note_models(text[1:close])
    text = text[close + 1 :].strip()
    if not text:
        raise LineError(f"missing TEXT after the model list (usage: {_NOTE_USAGE})")
    return ScopedNote(line, text, models)


def _note_models(listed: str) -> tuple[str, ...]:
    """The ``[MODEL,...]`` of a scoped note: kernel model names, or ``*`` for every model."""
    names = [name.strip() for name in listed.split(",")]
    for name in names:
        if not name:
            raise LineError(f"empty model name in [{listed}] (usage: {_NOTE_USAGE})")
        if name != ALL_MODELS and name not in KERNEL_MODELS:
            hint = suggest(name, KERNEL_MODELS) or f" (models: {', '.join(KERNEL_MODELS)}, or *)"
            raise LineError(f"unknown model {quote(name)}{hint}")
    return tuple(dict.fromkeys(names))


def note_under(note: Note, model: str, own: str) -> str | None:
    """The text ``note`` narrates under ``model``, in a scenario whose ``%kernel`` is ``own``.

    The scoping rule (SCENARIO.md, "Scoped notes"): a note claims something of the
    models it names -- ``[MODEL,...]``, ``[*]`` for every model -- and is shown
    under those only.  A note that names none was written for the scenario's
    own model: under another (``mapviz compare``) it is shown marked with the
    model it was written for, so its claim is never read as this model's.

    >>> plain = Note(3, "the punch is refused with ETXTBSY")
    >>> note_under(plain, "map-direct-v5", "map-direct-v5")
    'the punch is refused with ETXTBSY'
    >>> note_under(plain, "mainline", "map-direct-v5")
    '(written for map-direct-v5) the punch is refused with ETXTBSY'
    >>> lease = ScopedNote(4, "the punch waits, then revokes", ("map-direct-lease",))
    >>> note_under(lease, "map-direct-v5", "map-direct-v5") is None
    True
    """
    if isinstance(note, ScopedNote):
        return note.text if ALL_MODELS in note.models or model in note.models else None
    return note.text if model == own else f"(written for {own}) {note.text}"


def scenario_under(scenario: Scenario, model: str) -> Scenario:
    """``scenario`` with its notes as they read under ``model`` (:func:`note_under`).

    Everything else -- the header, ``%kernel`` included, every other item
    and every line number -- is unchanged, so the result runs exactly as
    ``scenario`` does under ``model``.
    """
    items: list[Item] = []
    for item in scenario.items:
        if isinstance(item, Note):
            text = note_under(item, model, scenario.kernel)
            if text is None:
                continue
            item = Note(item.line, text)
        items.append(item)
    return replace(scenario, items=tuple(items))


def _expect(rest: str, line: int, fs: FsConfig) -> Expect:
    (result,) = _words(rest, "%expect RESULT")
    if result not in RESULTS:
        hint = (
            suggest(result, RESULTS)
            or " (ok, skipped, SIGBUS, SIGSEGV or an errno name like EINVAL)"
        )
        raise LineError(f"unknown result {quote(result)}{hint}")
    return Expect(line, result)


_EXTENT_USAGE = "%extent OFF LEN [PHYS] [unwritten] [shared]"
_EXTENT_NUMBERS = ("offset", "length", "physical address")


_PLAIN_EXTENT = re.compile(
    r"%extent[ \t]+([0-9]{1,18})([kmgt]?)[ \t]+([0-9]{1,18})([kmgt]?)"
    r"(?:[ \t]+([0-9]{1,18})([kmgt]?))?"
)
_PLAIN_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def plain_extent(text: str, line: int, fs: FsConfig) -> ExtentSpec | None:
    """The commonest ``%extent`` line, as ``mapviz fiemap --scenario`` writes it, read fast.

    ``text`` is the stripped line.  A real file's map is a million of these,
    so they skip the general lexer: decimal numbers with at most a
    ``k``/``m``/``g``/``t`` suffix, no keywords, no comment.  ``None`` for any
    other shape, and for one that breaks a rule: :func:`parse_directive` then
    reads the line the long way and gives the error.

    >>> plain_extent("%extent 8k 4k 1m", 3, FsConfig())
    ExtentSpec(line=3, offset=8192, length=4096, physical=1048576, unwritten=False, shared=False)
    >>> plain_extent("%extent 0 4k unwritten", 3, FsConfig()) is None
    True
    """
    match = _PLAIN_EXTENT.fullmatch(text)
    if match is None:
        return None
    units = _PLAIN_UNITS
    offset_digits, offset_unit, length_digits, length_unit, physical_digits, physical_unit = (
        match.groups()
    )
    offset = int(offset_digits) * units[offset_unit]
    length = int(length_digits) * units[length_unit]
    physical = None if physical_digits is None else int(physical_digits) * units[physical_unit]
    blocksize = fs.blocksize
    if (
        not length
        or offset % blocksize
        or length % blocksize
        or offset + length > LARGEST
        or (physical is not None and (physical % blocksize or physical + length > fs.size))
    ):
        return None
    return ExtentSpec(line, offset, length, physical)


def _extent(rest: str, line: int, fs: FsConfig) -> ExtentSpec:
    numbers: list[tuple[str, int]] = []
    keywords: set[str] = set()
    for word in split_words(rest).words:
        if word in ("unwritten", "shared"):
            keywords.add(word)
        elif len(numbers) < 2 or (len(numbers) == 2 and not keywords and _DIGIT.match(word)):
            what = _EXTENT_NUMBERS[len(numbers)]
            numbers.append((word, parse_number(word, fs.blocksize, what)))
        elif _DIGIT.match(word):
            raise LineError(f"unexpected argument {quote(word)} (usage: {_EXTENT_USAGE})")
        else:
            hint = suggest(word, ("unwritten", "shared"))
            raise LineError(f"unknown option {quote(word)}{hint}")
    if len(numbers) < 2:
        missing = " ".join(("OFF", "LEN")[len(numbers) :])
        raise LineError(f"missing {missing} (usage: {_EXTENT_USAGE})")
    for (word, value), what in zip(numbers, _EXTENT_NUMBERS, strict=False):
        if value % fs.blocksize:
            raise LineError(
                f"{what} {quote(word)} is not a multiple of the block size "
                f"({short_bytes(fs.blocksize)})"
            )
    offset, length = numbers[0][1], numbers[1][1]
    if length == 0:
        raise LineError(f"length {quote(numbers[1][0])} must be more than 0")
    if offset + length > LARGEST:
        raise LineError("the extent ends past the largest file offset (2^63 - 1)")
    physical = numbers[2][1] if len(numbers) > 2 else None
    if physical is not None and physical + length > fs.size:
        raise LineError(
            f"physical address {quote(numbers[2][0])} + length runs past the end "
            f"of the {short_bytes(fs.size)} device"
        )
    return ExtentSpec(line, offset, length, physical, "unwritten" in keywords, "shared" in keywords)


_HANDLERS: dict[str, Callable[[str, int, FsConfig], Header | Item]] = {
    "title": _title,
    "kernel": _kernel,
    "fs": _fs,
    "proc": _proc,
    "swapon": _swap("swapon"),
    "swapoff": _swap("swapoff"),
    "lease-break-time": _lease_break_time,
    "sleep": _sleep,
    "note": _note,
    "expect": _expect,
    "extent": _extent,
}
_NAMES = tuple(f"%{name}" for name in _HANDLERS)
