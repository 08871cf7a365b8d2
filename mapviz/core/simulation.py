"""The simulation: apply a scenario's items to a machine, one step at a time, into a trace.

>>> from mapviz.scenario import parse_scenario
>>> sim = Simulation.from_scenario(parse_scenario('''
... %kernel mainline
... open -f data
... pwrite 0 64k
... fsync
... '''))
>>> [(step.command, step.result) for step in sim.steps]
[('open -f data', 'ok'), ('pwrite 0 64k', 'ok'), ('fsync', 'ok')]
>>> [e.state for e in sim.steps[-1].files["data"].extents]
['written']
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator
from dataclasses import replace

from mapviz.core.commands import Context, run_command
from mapviz.core.events import Event, EventKind
from mapviz.core.filesystem import Filesystem
from mapviz.core.inode import Inode
from mapviz.core.invariants import check_machine
from mapviz.core.machine import Machine
from mapviz.core.memory import ALL_CAPABILITIES, PAGE_SIZE, Process
from mapviz.core.models import model_named
from mapviz.core.ops.place import PlacementError, place_extents
from mapviz.core.outcome import Failure, NotIssued
from mapviz.core.scene import Scene, shown_extents, take_scene
from mapviz.core.snapshot import FileView, PerFileMemo, file_view
from mapviz.core.trace import Step
from mapviz.errors import ScenarioError
from mapviz.scenario.directives import scenario_under
from mapviz.scenario.syntax import (
    DEFAULT_KERNEL,
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

# Commands whose arguments name files the JSON must then report (as the recorder does).
_NAMING = {
    "open": 0,
    "reflink": 0,
    "dedupe": 0,
    "swapext": 0,
    "copy_range": 0,
    "sendfile": 0,
    "exchangerange": 0,
}
SWAP_STEPS = ("swapon", "swapoff")
SKIPPED = "skipped"  # a command xfs_io would not issue (no file, no mapping, a bad range)
ALIASES = {"ENOTSUP": "EOPNOTSUPP"}  # Python names errno 95 ENOTSUP; the kernel says EOPNOTSUPP


ExtentRun = tuple[ExtentSpec, ...]
"""Consecutive ``%extent`` lines: a block map loaded as one step."""


def extent_runs(items: Iterable[Item]) -> Iterator[Item | ExtentRun]:
    """``items`` with each run of consecutive ``%extent`` lines gathered into one tuple.

    >>> from mapviz.scenario import parse_scenario
    >>> items = parse_scenario("open -f f\\n%extent 0 4k\\n%extent 8k 4k\\nfsync").items
    >>> [type(item).__name__ for item in extent_runs(items)]
    ['Command', 'tuple', 'Command']
    """
    run: list[ExtentSpec] = []
    for item in items:
        if isinstance(item, ExtentSpec):
            run.append(item)
            continue
        if run:
            yield tuple(run)
            run = []
        yield item
    if run:
        yield tuple(run)


class Simulation:
    """A machine plus the steps that brought it where it is.

    ``record_files`` keeps a view of every named file after each step (needed
    by ``--json``; skipped for speed otherwise); ``record_scenes`` gives each
    step the scene the views draw (:attr:`Step.scene`).  ``check``
    asserts every invariant of DESIGN.md after every step.  A command that
    xfs_io would not even issue (``mread`` after a refused ``mmap``, a range
    outside the mapping) is a ``skipped`` step with xfs_io's message as its
    ``why``, as xfs_io prints it and goes on.  ``replay`` is for running a
    script under a kernel model other than its own: such a ``why`` then says
    which model it happened under.  ``strict`` (set by a live session once it
    has replayed) turns such a command into a :class:`ScenarioError` instead.
    """

    def __init__(
        self,
        fs: FsConfig | None = None,
        kernel: str = DEFAULT_KERNEL,
        *,
        source: str = "<scenario>",
        record_files: bool = True,
        record_scenes: bool = False,
        check: bool = False,
        replay: bool = False,
    ) -> None:
        fs = fs or FsConfig()
        if fs.dax and fs.blocksize != PAGE_SIZE:
            raise ScenarioError(
                source,
                0,
                "DAX needs the block size to equal the page size "
                "(4k): fs-dax maps device blocks as pages",
            )
        self.kernel = kernel
        self.source = source
        self.record_files = record_files
        self.record_scenes = record_scenes
        self.check = check
        self.replay = replay
        # A live command box wants what is typed to be possible: a command xfs_io
        # would not issue is then an error to fix, not a skipped step.
        self.strict = False
        self.machine = Machine(fs=Filesystem.create(fs), model=model_named(kernel))
        self.machine.processes["app"] = Process("app")
        self.steps: list[Step] = []
        self.named: list[str] = []
        self._file_views = PerFileMemo(file_view)  # most steps leave most files alone
        self._shown = shown_extents()  # each file's drawn extents, kept while unchanged
        self._note: str | None = None

    @classmethod
    def from_scenario(
        cls, scenario: Scenario, kernel: str | None = None, **options: bool
    ) -> Simulation:
        """Run every item of ``scenario`` (under ``kernel`` if given, else its own)."""
        model = kernel or scenario.kernel
        options.setdefault("replay", model != scenario.kernel)
        sim = cls(scenario.fs, model, source=scenario.source, **options)
        sim.run(scenario_under(scenario, model).items)  # each %note as it reads there
        return sim

    def scene(self) -> Scene:
        """The world now, as the views draw it (what a step carries when scenes are recorded)."""
        return take_scene(self.machine, list(self.machine.fs.files), self._shown)

    @property
    def fs(self) -> FsConfig:
        return self.machine.fs.config

    @property
    def failures(self) -> list[Step]:
        """Steps whose ``%expect`` did not hold."""
        return [step for step in self.steps if step.expectation_failed]

    def run(self, items: Iterable[Item]) -> None:
        with collector_paused():
            for item in extent_runs(items):
                self.apply(item)

    def start_recording_files(self) -> None:
        """Keep file views from now on, beginning with the last step's.

        For a simulation run with ``record_files=False`` to build a starting
        state (a real file's block map replayed as ``%extent`` steps: a view of
        a 100,000-extent file after each of its 100,000 extents would be
        quadratic): the last step gets the view of every named file, as if
        ``record_files`` had been on, and later steps keep theirs.
        """
        self.record_files = True
        if self.steps:
            self.steps[-1] = replace(self.steps[-1], files=self.named_views())

    def apply(self, item: Item | ExtentRun) -> Step | None:
        """Apply one item; return the step it made (None for notes, expectations, ...).

        A run of ``%extent`` lines (:func:`extent_runs`) is one step: a load.
        """
        if isinstance(item, Note):
            self._note = item.text if self._note is None else f"{self._note} {item.text}"
            return None
        if isinstance(item, Expect):
            self._expect(item)
            return None
        if isinstance(item, Proc):
            self._switch(item)
            return None
        if isinstance(item, LeaseBreakTime):
            self.machine.lease_break_time = item.seconds
            return None
        if isinstance(item, Sleep):
            return self._sleep(item)
        if isinstance(item, ExtentSpec):
            return self._extents((item,))
        if isinstance(item, tuple):
            return self._extents(item)
        return self._command(item)

    # --- directives ----------------------------------------------------------

    def _expect(self, item: Expect) -> None:
        if not self.steps:
            raise ScenarioError(self.source, item.line, "%expect before any command")
        last = self.steps[-1]
        self.steps[-1] = replace(last, expect=ALIASES.get(item.result, item.result))

    def _switch(self, item: Proc) -> None:
        machine = self.machine
        existing = machine.processes.get(item.name)
        if existing is None:
            uid = item.uid or 0
            caps = (
                item.caps
                if item.caps is not None
                else (ALL_CAPABILITIES if uid == 0 else frozenset())
            )
            machine.processes[item.name] = Process(item.name, uid, caps)
        elif (item.uid is not None and item.uid != existing.uid) or (
            item.caps is not None and item.caps != existing.caps
        ):
            raise ScenarioError(
                self.source,
                item.line,
                f'process "{item.name}" already exists with other credentials',
            )
        machine.current = item.name

    def _sleep(self, item: Sleep) -> Step:
        machine = self.machine
        machine.events = []
        machine.clock += item.seconds
        machine.emit(
            EventKind.TIME, f"{item.seconds:g} s pass (t={machine.clock:g} s)", until=machine.clock
        )
        machine.model.advance(machine)
        return self._record(
            item.line, f"%sleep {item.seconds:g}", "sleep", None, "ok", None, (), is_command=False
        )

    def _extents(self, run: ExtentRun) -> Step:
        machine = self.machine
        machine.events = []
        first = run[0]
        entry = machine.process.open_file()
        if entry is None:
            raise ScenarioError(
                self.source, first.line, '%extent: no file is open (use "open -f NAME" first)'
            )
        try:
            place_extents(machine, machine.inode(entry.name), run)
        except PlacementError as error:
            line = error.spec.line if error.spec is not None else first.line
            raise ScenarioError(self.source, line, str(error)) from None
        if len(run) == 1:
            text = f"%extent {first.offset} {first.length}"
        else:
            # x, not a multiplication sign: the command is also printed in terminals.
            text = f"%extent x {len(run):,} (a block map loaded: {len(run):,} extents)"
        return self._record(
            first.line, text, "extent", entry.name, "ok", None, (), is_command=False
        )

    # --- commands ------------------------------------------------------------

    def _command(self, command: Command) -> Step:
        machine = self.machine
        machine.events = []
        if command.name in _NAMING and command.args:
            named = command.args[_NAMING[command.name]]
            if isinstance(named, str):  # (sendfile -f N OFF LEN names no file)
                self._mention(named)
        before = self._sealed_maps() if self.check else {}
        entry = machine.process.open_file()
        step_file = entry.name if entry else None
        process = machine.process
        # Space checks read the caller's credentials (ext4's root reserve); %swapon
        # and %swapoff run with full privileges whatever %proc is current (SCENARIO.md).
        machine.fs.caller_privileged = (
            process.uid == 0 or process.capable("sys_resource") or command.name in SWAP_STEPS
        )
        ctx = Context(machine, command, self.source)
        result, why = "ok", None
        try:
            run_command(ctx)
        except NotIssued as refused:
            if self.strict:
                raise ScenarioError(
                    self.source, command.line, f"{command.name}: {refused.message}"
                ) from None
            # xfs_io prints its message and goes on; so does the scenario (SCENARIO.md "Results")
            # (replayed under another model, an earlier step may have failed there)
            under = f" (under {self.kernel})" if self.replay else ""
            result, why = SKIPPED, refused.message + under
        except Failure as failure:
            result, why = failure.result, failure.why
            if failure.result not in ("SIGBUS", "SIGSEGV"):
                machine.emit(
                    EventKind.REFUSE,
                    failure.why,
                    result=failure.result,
                    file=_refused_range(
                        command,
                        step_file,
                        machine.fs.files[step_file].size if step_file in machine.fs.files else 0,
                        failure.range,
                    ),
                )
            elif failure.result == "SIGSEGV":
                machine.emit(EventKind.SIGSEGV, failure.why, result="SIGSEGV")
            if failure.result in ("SIGBUS", "SIGSEGV"):
                # xfs_io died; the one that takes its place starts with its globals unset
                # and opens the files again (at position 0, §9.8)
                process.io_vectors = process.io_buffer = 0
                for entry in process.files:
                    entry.position, entry.closed = 0, False
        if command.name in ("open", "file") and result == "ok":
            entry = machine.process.open_file()
            step_file = entry.name if entry else None
        step = self._record(
            command.line, command.text, command.name, step_file, result, why, tuple(ctx.output)
        )
        if self.check:
            check_machine(machine)
            self._check_seals(before)
        return step

    def _mention(self, name: str) -> None:
        if name not in self.named:
            self.named.append(name)

    def _record(
        self,
        line: int,
        text: str,
        name: str,
        file: str | None,
        result: str,
        why: str | None,
        output: tuple[str, ...],
        *,
        is_command: bool = True,
    ) -> Step:
        machine = self.machine
        step = Step(
            index=len(self.steps),
            line=line,
            command=text,
            name=name,
            process=machine.current,
            file=file,
            result=result,
            why=why,
            events=tuple(machine.events),
            output=output,
            note=self._note,
            # Directive steps (%extent, %sleep) are not in `mapviz run --json`: viewing a
            # file after each of a real map's 100,000 %extent lines would be quadratic.
            files=self._views(name, file) if is_command else {},
            clock=machine.clock,
            is_command=is_command,
            scene=self.scene() if self.record_scenes else None,
        )
        self._note = None
        machine.events = []
        self.steps.append(step)
        return step

    def _views(self, name: str, file: str | None) -> dict[str, FileView]:
        fs = self.machine.fs
        if self.record_files:
            return self.named_views()
        if name in ("fiemap", "bmap") and file is not None:
            return {file: file_view(fs, fs.files[file])}
        return {}

    def named_views(self) -> dict[str, FileView]:
        """The view of every file the scenario named, now: what a step records.

        Views of files unchanged since the last call are the same objects.
        """
        fs = self.machine.fs
        return {n: self._file_views.get(fs, fs.files[n]) for n in self.named if n in fs.files}

    def _sealed_maps(self) -> dict[str, tuple[object, ...]]:
        files = self.machine.fs.files
        return {n: _allocated(i) for n, i in files.items() if i.sealed}

    def _check_seals(self, before: dict[str, tuple[object, ...]]) -> None:
        """DESIGN.md: a pinned (sealed) file's block map never changes.

        Delalloc reservations are not part of it: a buffered write to a sealed
        non-DAX file still reserves them, only writeback's allocation fails (§2.2).
        """
        for name, extents in before.items():
            inode = self.machine.fs.files[name]
            if inode.sealed:
                assert _allocated(inode) == extents, ("sealed block map changed", name)


def _allocated(inode: Inode) -> tuple[object, ...]:
    return tuple(e for e in inode.data if e.physical_block is not None)


def _refused_range(
    command: Command, file: str | None, size: int, failed: tuple[int, int] | None
) -> tuple[str, int, int] | None:
    """The file range a refused command asked for, so a view can flash it.

    ``size`` is the file's size (unchanged: the command was refused);
    ``failed`` the range an I/O that failed part way names (writeback's EIO).
    """
    if file is None:
        return None
    if failed is not None:
        return (file, *failed)
    numbers = [a for a in command.args if isinstance(a, int)]
    if (
        command.name
        in ("pwrite", "falloc", "fpunch", "fzero", "fcollapse", "finsert", "funshare", "mmap")
        and len(numbers) >= 2
    ):
        return (file, numbers[-2], numbers[-2] + numbers[-1])
    if command.name in ("reflink", "dedupe") and len(numbers) == 3:
        return (file, numbers[1], numbers[1] + numbers[2])
    if command.name == "truncate" and numbers:
        # The bytes the size change would add or drop (nothing moved: it was refused).
        return (file, min(size, numbers[0]), max(size, numbers[0]))
    return (file, 0, 0)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (back as it was after).

    A run allocates hundreds of thousands of objects it keeps (steps, events,
    their ranges) and makes next to no reference cycles (a 20,000-command
    script leaves none to collect): reference counting frees what it drops,
    and the collector, triggered every 700 allocations to walk the young and,
    now and then, the ever larger old objects, only costs time (some 4% of
    that script's run).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


__all__ = ["Event", "Simulation", "Step"]
