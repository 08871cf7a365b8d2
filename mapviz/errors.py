"""Errors a user can cause.  Each prints as one line and never as a traceback."""

from __future__ import annotations


class MapvizError(Exception):
    """Bad input of any kind: the CLI prints ``str(error)`` and exits with ``exit_status``."""

    exit_status = 2


class ScenarioError(MapvizError):
    """A scenario problem, reported as ``FILE:LINE: message`` (line 0: ``FILE: message``).

    Raised by the parser for malformed text, and by the simulation for a
    command that cannot be given at all in the current state (no file open,
    a range outside the current mapping) -- what xfs_io itself would refuse
    before making a system call.  Nothing has changed when it is raised.
    """

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(message)
        self.source = source
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.message}"

    def at(self, source: str) -> ScenarioError:
        """The same error, reported against ``source`` (a file name)."""
        return ScenarioError(source, self.line, self.message)
