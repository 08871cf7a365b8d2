"""Writing a file the user asked for: whole or not at all, never over an existing file.

Shared by every command that writes a page (``export``, ``compare --html``,
``fiemap --html``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from mapviz.errors import MapvizError


def check_target(path: Path, *, force: bool, command: str) -> None:
    """Refuse early (before simulating) what write_atomic would refuse anyway."""
    if path.is_dir():
        raise MapvizError(f"{command}: {path} is a directory")
    if not path.parent.is_dir() and str(path.parent) != "":
        raise MapvizError(f"{command}: no such directory: {path.parent}")
    if path.exists() and not force:
        raise MapvizError(f"{command}: {path} exists (use --force to overwrite it)")


def write_atomic(path: Path, data: bytes, *, force: bool, command: str) -> None:
    """Write ``data`` to ``path`` whole or not at all.

    The bytes go to a temp file in the same directory (so the rename cannot
    cross filesystems), are flushed to disk, and only then take ``path``'s
    name.  Without ``force`` the name is taken with a hard link, which fails
    if a file appeared there meanwhile, so nothing is ever overwritten.

    Raises
    ------
    MapvizError
        ``path`` exists (and not ``force``) or cannot be written.
    """
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise MapvizError(
            f"{command}: cannot write to {directory}: {error.strerror or error}"
        ) from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temp, 0o666 & ~mask)  # mkstemp makes it 0600; give it a normal file's mode
        if force:
            os.replace(temp, path)
        else:
            _link_no_clobber(temp, path)
    except FileExistsError:
        raise MapvizError(f"{command}: {path} exists (use --force to overwrite it)") from None
    except OSError as error:
        raise MapvizError(f"{command}: cannot write {path}: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _link_no_clobber(temp: str, path: Path) -> None:
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError:
        # No hard links here (some FUSE and FAT filesystems): check, then rename.
        if path.exists():
            raise FileExistsError(path) from None
        os.replace(temp, path)
