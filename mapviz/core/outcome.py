"""How an operation ends when it does not end in ``ok``.

Operations raise these to stop; whatever they changed before stays changed,
exactly as in the kernel (a SIGBUS in ``mwrite`` leaves the pages before it
touched; ext4's fallocate keeps what it allocated before ENOSPC).
"""

from __future__ import annotations


class Failure(Exception):
    """The command ends in ``result`` (an errno name or a signal) for reason ``why``."""

    def __init__(self, result: str, why: str) -> None:
        super().__init__(f"{result}: {why}")
        self.result = result
        self.why = why
        # The file bytes an operation failed on part way (writeback's EIO), when the
        # command's own arguments do not say: where a view puts the alert.
        self.range: tuple[int, int] | None = None


class NotIssued(Exception):
    """xfs_io refused the command itself, printing ``message``: no system call was made.

    xfs_io survives it and goes on, and so does the scenario: the step ends in
    ``skipped`` (the result ``mapviz run --real`` records for it), with
    xfs_io's message as its ``why`` (SCENARIO.md "Results").
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


NO_FILES = "no files are open, try 'help open'"
"""xfs_io's words (io/init.c) for a command that needs an open file when there is none."""
NO_MAPPINGS = "no mapped regions, try 'help mmap'"
"""xfs_io's words for a command that needs a mapping when there is none."""


class SyscallError(Failure):
    """A system call returned an error (``ETXTBSY``, ``EPERM``, ...)."""


class Signal(Failure):
    """The process got a signal while touching memory (``SIGBUS``, ``SIGSEGV``)."""


STRERROR = {
    "EPERM": "Operation not permitted",
    "ENOENT": "No such file or directory",
    "EIO": "Input/output error",
    "EBADF": "Bad file descriptor",
    "EACCES": "Permission denied",
    "EFAULT": "Bad address",
    "EBUSY": "Device or resource busy",
    "EXDEV": "Invalid cross-device link",
    "EINVAL": "Invalid argument",
    "ETXTBSY": "Text file busy",
    "EFBIG": "File too large",
    "ENOSPC": "No space left on device",
    "ENOTTY": "Inappropriate ioctl for device",
    "EOPNOTSUPP": "Operation not supported",
    "EBADE": "Invalid exchange",
    "EISDIR": "Is a directory",
    "SIGBUS": "Bus error",
    "SIGSEGV": "Segmentation fault",
}
"""What ``perror`` prints for each result (xfs_io's words)."""
