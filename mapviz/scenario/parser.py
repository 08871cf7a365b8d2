"""Scenario text to a :class:`~mapviz.scenario.syntax.Scenario`.

Each line is a command (:mod:`mapviz.scenario.commands`), a directive
(:mod:`mapviz.scenario.directives`), a comment or blank.  This module adds
the rules that span lines: the header directives come once and before the
first step, ``%expect`` follows a step (once per step), and a process keeps
the credentials it was created with.
"""

from __future__ import annotations

from pathlib import PurePath

from mapviz.errors import ScenarioError
from mapviz.scenario.commands import build_command
from mapviz.scenario.directives import (
    CAPABILITIES,
    HEADER_DIRECTIVES,
    FsLine,
    Header,
    Kernel,
    Title,
    directive_name,
    parse_directive,
    plain_extent,
)
from mapviz.scenario.lexer import WHITESPACE, LineError, quote, split_words
from mapviz.scenario.syntax import (
    DEFAULT_KERNEL,
    Command,
    Expect,
    ExtentSpec,
    FsConfig,
    Item,
    Proc,
    Scenario,
)

DEFAULT_FS = FsConfig()


def parse_scenario(text: str, source: str = "<scenario>", name: str | None = None) -> Scenario:
    """Parse a whole scenario.

    ``source`` names the text in errors (a file name); ``name`` defaults to
    its stem and is the default title.

    Raises
    ------
    ScenarioError
        ``FILE:LINE: message`` for the first line that is wrong.

    Examples
    --------
    >>> scenario = parse_scenario("%fs xfs dax\\nopen -f data\\npwrite 0 64k\\n%expect ok\\n")
    >>> scenario.fs.dax, [command.name for command in scenario.commands]
    (True, ['open', 'pwrite'])
    """
    name = PurePath(source).stem if name is None else name
    builder = _Builder()
    # A byte-order mark is how some editors start a UTF-8 file; it is not part of line 1.
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        try:
            entry = _parse_entry(raw, number, builder.fs)
            if entry is not None:
                builder.add(entry)
        except LineError as problem:
            raise ScenarioError(source, number, str(problem)) from None
    return Scenario(
        name=name,
        source=source,
        text=text,
        title=builder.title.text if builder.title else name,
        kernel=builder.kernel.model if builder.kernel else DEFAULT_KERNEL,
        fs=builder.fs,
        items=tuple(builder.items),
    )


def parse_line(
    text: str, *, line: int = 1, fs: FsConfig = DEFAULT_FS, source: str = "<input>"
) -> Item | None:
    """Parse one line typed into a live command box; ``None`` for a blank or comment.

    Rules that need the lines before (``%expect`` after a step, process
    credentials) are left to the caller.

    Raises
    ------
    ScenarioError
        The line is malformed, holds a line break, or is a header directive
        (``%title``, ``%kernel``, ``%fs``), which only a scenario's start can set.

    Examples
    --------
    >>> parse_line("mmap -rw 0 2b", fs=FsConfig(blocksize=1024))
    Command(line=1, text='mmap -rw 0 2b', name='mmap', flags='rw', options=(), args=(0, 2048))
    >>> parse_line("   # nothing") is None
    True
    """
    text = text.rstrip("\r\n")
    if "\n" in text:
        raise ScenarioError(source, line, "one line at a time: the text holds a line break")
    head = directive_name(text.strip(WHITESPACE))
    if head in HEADER_DIRECTIVES:
        message = f"{head} can only be set when a scenario starts, not here"
        raise ScenarioError(source, line, message)
    try:
        entry = _parse_entry(text, line, fs)
    except LineError as problem:
        raise ScenarioError(source, line, str(problem)) from None
    # Only the header directives make headers, and they were refused above.
    assert not isinstance(entry, Title | Kernel | FsLine), entry
    return entry


def _parse_entry(raw: str, line: int, fs: FsConfig) -> Header | Item | None:
    """What one line says, checked on its own; ``None`` for a blank line or a comment."""
    stripped = raw.strip(WHITESPACE)
    if stripped.startswith("%"):
        if stripped.startswith("%extent"):
            plain = plain_extent(stripped, line, fs)
            if plain is not None:
                return plain
        return parse_directive(stripped, line, fs)
    split = split_words(raw)
    if not split.words:
        return None
    return build_command(split.words, split.text, line, fs.blocksize)


class _Builder:
    """A scenario's header and items so far, and the rules that span lines."""

    def __init__(self) -> None:
        self.title: Title | None = None
        self.kernel: Kernel | None = None
        self.fs_line: FsLine | None = None
        self.items: list[Item] = []
        # The first command or %extent: the header must come before it.
        self.first_body: Command | ExtentSpec | None = None
        self.last_step: Command | None = None
        self.last_step_expected = False
        # Effective credentials (uid, capabilities) of every process so far.
        self.processes: dict[str, tuple[int, frozenset[str]]] = {"app": (0, CAPABILITIES)}

    @property
    def fs(self) -> FsConfig:
        """The filesystem the scenario runs on (``%fs``, or the default)."""
        return self.fs_line.config if self.fs_line else DEFAULT_FS

    def add(self, entry: Header | Item) -> None:
        """Take one line's record, or raise :class:`LineError` if it breaks a rule."""
        if isinstance(entry, Title):
            if self.title is not None:
                raise LineError(f"%title given twice (first on line {self.title.line})")
            self.title = entry
        elif isinstance(entry, Kernel):
            self._check_header("%kernel", self.kernel)
            self.kernel = entry
        elif isinstance(entry, FsLine):
            self._check_header("%fs", self.fs_line)
            self.fs_line = entry
        else:
            self._add_item(entry)

    def _check_header(self, directive: str, earlier: Kernel | FsLine | None) -> None:
        if earlier is not None:
            raise LineError(f"{directive} given twice (first on line {earlier.line})")
        first = self.first_body
        if first is not None:
            what = "command" if isinstance(first, Command) else "%extent"
            raise LineError(f"{directive} must come before the first {what} (line {first.line})")

    def _add_item(self, item: Item) -> None:
        if isinstance(item, Command | ExtentSpec) and self.first_body is None:
            self.first_body = item
        if isinstance(item, Command):
            self.last_step = item
            self.last_step_expected = False
        elif isinstance(item, Expect):
            if self.last_step is None:
                raise LineError("%expect before any command: it checks the command before it")
            if self.last_step_expected:
                raise LineError(
                    f"a second %expect for the command on line {self.last_step.line} "
                    f"({quote(self.last_step.text)})"
                )
            self.last_step_expected = True
        elif isinstance(item, Proc):
            self._check_process(item)
        self.items.append(item)

    def _check_process(self, proc: Proc) -> None:
        """A process is created once; naming it again may repeat, not change, its credentials."""
        known = self.processes.get(proc.name)
        if known is None:
            # A new process is root unless told otherwise; root has every capability.
            uid = proc.uid if proc.uid is not None else 0
            default = CAPABILITIES if uid == 0 else frozenset[str]()
            self.processes[proc.name] = (uid, proc.caps if proc.caps is not None else default)
            return
        uid, caps = known
        if (proc.uid is not None and proc.uid != uid) or (
            proc.caps is not None and proc.caps != caps
        ):
            raise LineError(
                f"%proc: process {quote(proc.name)} already exists with other credentials "
                f"({_describe(uid, caps)}); give the new one another name"
            )


def _describe(uid: int, caps: frozenset[str]) -> str:
    """``uid 1000, no capabilities`` and the like."""
    if caps == CAPABILITIES:
        held = "all capabilities"
    elif not caps:
        held = "no capabilities"
    else:
        held = "capabilities " + ",".join(sorted(caps))
    return f"uid {uid}, {held}"
