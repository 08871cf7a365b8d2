"""Real files laid out on purpose, and filefrag's view of them (test helpers)."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
from pathlib import Path

FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02

_libc = ctypes.CDLL(None, use_errno=True)
_libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]

Step = tuple[str, int, int]
"""("write" | "falloc" | "keep" | "punch" | "truncate", offset, length)."""


def fallocate(fd: int, mode: int, offset: int, length: int) -> None:
    """fallocate(2) with a mode (os.posix_fallocate has none)."""
    if _libc.fallocate(fd, mode, offset, length) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


def build(path: Path, steps: list[Step], *, sync: bool = True) -> Path:
    """Create ``path`` and apply ``steps``; fsync at the end unless ``sync=False``."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for action, offset, length in steps:
            if action == "write":
                os.pwrite(fd, bytes([0xCD]) * length, offset)
            elif action == "falloc":
                fallocate(fd, 0, offset, length)
            elif action == "keep":
                fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, length)
            elif action == "punch":
                fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length)
            elif action == "truncate":
                os.ftruncate(fd, offset)
            else:
                raise ValueError(action)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    return path


FilefragExtent = tuple[int, int, int | None, frozenset[str]]


def filefrag(path: Path) -> list[FilefragExtent] | None:
    """``filefrag -v -b1`` parsed: (offset, length, physical or None, flags) in bytes.

    ``-b1`` makes filefrag count in bytes, so no block size is guessed.
    None when filefrag is not installed.
    """
    if shutil.which("filefrag") is None:
        return None
    output = subprocess.run(
        ["filefrag", "-v", "-b1", str(path)], capture_output=True, text=True, check=True
    ).stdout
    extents: list[FilefragExtent] = []
    for line in output.splitlines():
        fields = [field.strip() for field in line.split(":")]
        if len(fields) < 5 or not fields[0].isdigit():
            continue
        first, last = (int(number) for number in fields[1].split(".."))
        physical = int(fields[2].split("..")[0])
        # The length column says 0 for delalloc; the logical range never lies.
        logical, length = first, last - first + 1
        words = "" if fields[-1].isdigit() else fields[-1]  # "expected" without flags
        flags = frozenset(word for word in words.split(",") if word)
        known = "unknown_loc" not in flags
        extents.append((logical, length, physical if known else None, flags))
    return extents
