"""What a command handler works with: the machine, the process, and where it was written."""

from __future__ import annotations

from dataclasses import dataclass, field

from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import Mapping, OpenFile, Process
from mapviz.core.outcome import NO_FILES, NO_MAPPINGS, NotIssued, SyscallError
from mapviz.scenario.syntax import Command


@dataclass(slots=True)
class Context:
    """One command being run.  ``output`` collects what xfs_io would print."""

    machine: Machine
    command: Command
    source: str
    output: list[str] = field(default_factory=list)

    @property
    def process(self) -> Process:
        return self.machine.process

    def refuse(self, message: str) -> NotIssued:
        """A command xfs_io itself would not issue, saying ``message`` (its own words).

        Nothing happened; the step is ``skipped`` and the scenario goes on.
        """
        self.output.append(message)
        return NotIssued(message)

    def need_file(self) -> None:
        """xfs_io's own check that some file is open (io/init.c init_check_command())."""
        if self.process.open_file() is None:
            raise self.refuse(NO_FILES)

    def current_file(self) -> tuple[OpenFile, Inode]:
        """The current open file of the current process (xfs_io's ``file``)."""
        entry = self.process.open_file()
        if entry is None:
            raise self.refuse(NO_FILES)
        if entry.closed:
            raise SyscallError(
                "EBADF",
                f"{self.command.name}: file {self.process.current_file}'s descriptor was "
                "closed by an earlier copy_range -f (§9.8)",
            )
        return entry, self.machine.inode(entry.name)

    def current_mapping(self) -> Mapping:
        mapping = self.process.mapping()
        if mapping is None:
            raise self.refuse(NO_MAPPINGS)
        return mapping

    def lookup(self, name: str) -> Inode:
        """A file xfs_io opens by name itself (reflink's INFILE ...): ENOENT if missing."""
        inode = self.machine.fs.files.get(name)
        if inode is None:
            raise SyscallError("ENOENT", f"{name}: no such file")
        return inode


def may_open(process: Process, inode: Inode, write: bool) -> SyscallError | None:
    """inode_permission() for a 0600 file: the immutable flag first, then owner or capabilities."""
    if write and inode.immutable:
        return SyscallError(
            "EPERM", f"{inode.name} is immutable (chattr +i): nobody may open it for writing (§3.3)"
        )
    if process.uid == inode.owner:
        return None
    if process.capable("dac_override"):
        return None
    if not write and process.capable("dac_read_search"):
        return None
    access = "write" if write else "read"
    return SyscallError(
        "EACCES",
        f"{inode.name} is mode 0600, owned by uid {inode.owner}; "
        f"{process.name} (uid {process.uid}) may not {access} it",
    )
