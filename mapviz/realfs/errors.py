"""Why a real file's block map could not be read: one line each, naming the path."""

from __future__ import annotations

from mapviz.errors import MapvizError


def shown(path: str) -> str:
    """``path`` fit for a one-line message: quoted if empty or not printable.

    >>> shown("/tmp/f"), shown("a\\nb"), shown("")
    ('/tmp/f', "'a\\\\nb'", "''")
    """
    return path if path and path.isprintable() else ascii(path)


class RealFileError(MapvizError):
    """The file cannot be read as asked; ``str()`` is ``PATH: reason``."""


class NotRegularFileError(RealFileError):
    """A directory, device, FIFO or socket: only regular files have a block map."""


class UnreadableFileError(RealFileError):
    """The file is missing or cannot be opened for reading."""


class NoBlockMapError(RealFileError):
    """The filesystem answers neither FIEMAP nor SEEK_DATA/SEEK_HOLE (or FIEMAP failed)."""
