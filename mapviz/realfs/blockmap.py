"""Read a real file's block map safely: refuse what is not a regular file, never write.

The order matters.  ``stat()`` comes first and anything but a regular file is
refused before it is opened, so a FIFO cannot block us and a device is never
touched.  The open is read-only, ``O_NONBLOCK`` (should the path be swapped
for a FIFO between the two calls) and ``O_NOATIME`` where the kernel allows
it (owner or CAP_FOWNER), and the descriptor is checked again with
``fstat()``.  Then FIEMAP, or SEEK_DATA/SEEK_HOLE where FIEMAP is missing.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
from collections.abc import Callable
from functools import cache
from typing import Literal, NamedTuple

from mapviz.realfs.errors import (
    NoBlockMapError,
    NotRegularFileError,
    UnreadableFileError,
    shown,
)
from mapviz.realfs.fiemap import FiemapUnsupportedError, iter_fiemap
from mapviz.realfs.records import ExtentArray
from mapviz.realfs.seek import SeekUnsupportedError, iter_data_ranges

Method = Literal["fiemap", "seek"]
Progress = Callable[[int, int], None]
"""Called after each batch with (file offset reached, file size)."""

# statfs(2) f_type values (include/uapi/linux/magic.h).
FILESYSTEM_NAMES = {
    0x58465342: "xfs",
    0xEF53: "ext4",  # ext2 and ext3 share the magic
    0x9123683E: "btrfs",
    0x01021994: "tmpfs",
    0x858458F6: "ramfs",
    0xF2F52010: "f2fs",
    0xCA451A4E: "bcachefs",
    0x794C7630: "overlayfs",
    0x6969: "nfs",
    0xFE534D42: "smb2",
    0x65735546: "fuse",
    0x2FC12FC1: "zfs",
    0x73717368: "squashfs",
    0x4D44: "vfat",
    0x2011BAB0: "exfat",
    0x9FA0: "proc",
    0x62656572: "sysfs",
}


# NamedTuples rather than frozen dataclasses: `mapviz fiemap` starts without importing
# dataclasses (and inspect, which it imports), a tenth of its start-up.
class FileSystem(NamedTuple):
    """The filesystem a file lives on, from ``fstatfs()``."""

    magic: int
    blocksize: int
    device_size: int = 0  # bytes of the block device under it (0: unknown)

    @property
    def name(self) -> str:
        """A short name (``xfs``, ``ext4``, ``tmpfs`` ...), or the magic in hex."""
        return FILESYSTEM_NAMES.get(self.magic, f"fs-0x{self.magic:x}")


class BlockMap(NamedTuple):
    """A real file's block map as read at one moment.

    ``extents`` are FIEMAP records in offset order; with ``method == "seek"``
    they are data ranges flagged UNKNOWN (no physical address).
    ``fiemap_error`` is why FIEMAP was not used (``None`` when it was).
    """

    path: str
    size: int
    filesystem: FileSystem
    method: Method
    synced: bool
    extents: ExtentArray
    fiemap_error: str | None = None


def read_block_map(path: str, *, sync: bool = False, progress: Progress | None = None) -> BlockMap:
    """Read the block map of the regular file at ``path`` (symlinks followed).

    Parameters
    ----------
    path
        The file.
    sync
        Ask FIEMAP to flush dirty data first (``FIEMAP_FLAG_SYNC``), so
        delalloc ranges are shown where they land; this writes back.
    progress
        Called after every batch with (offset reached, size).

    Raises
    ------
    NotRegularFileError, UnreadableFileError, NoBlockMapError
        With a one-line ``PATH: reason`` message.
    """
    fd, status = open_regular(path)
    try:
        filesystem = filesystem_of(fd)
        method, fiemap_error, extents = _read_extents(
            fd, path, status.st_size, filesystem, sync, progress
        )
    finally:
        os.close(fd)
    return BlockMap(
        path=path,
        size=status.st_size,
        filesystem=filesystem,
        method=method,
        synced=sync and method == "fiemap",
        extents=extents,
        fiemap_error=fiemap_error,
    )


def _read_extents(
    fd: int,
    path: str,
    size: int,
    filesystem: FileSystem,
    sync: bool,
    progress: Progress | None,
) -> tuple[Method, str | None, ExtentArray]:
    """FIEMAP, else SEEK_DATA/SEEK_HOLE: (method, why not FIEMAP, extents)."""
    batches: list[bytes] = []
    try:
        for batch in iter_fiemap(fd, sync=sync, path=shown(path)):
            batches.append(batch.data)
            if progress is not None:
                progress(batch[-1].end, size)
        return "fiemap", None, ExtentArray(b"".join(batches))
    except FiemapUnsupportedError as error:
        fiemap_error = os.strerror(error.errno)
    try:
        for batch in iter_data_ranges(fd, size, blocksize=filesystem.blocksize, path=shown(path)):
            batches.append(batch.data)
            if progress is not None:
                progress(batch[-1].end, size)
    except SeekUnsupportedError:
        raise NoBlockMapError(
            f"{shown(path)}: {filesystem.name} supports neither FIEMAP nor "
            "SEEK_DATA/SEEK_HOLE, so there is no block map to read"
        ) from None
    return "seek", fiemap_error, ExtentArray(b"".join(batches))


def open_regular(path: str) -> tuple[int, os.stat_result]:
    """Open a regular file read-only without blocking or touching its atime.

    Returns the descriptor and its ``fstat()``.  Anything else is refused
    before it is opened.
    """
    try:
        before = os.stat(path)
    except OSError as error:
        raise UnreadableFileError(_stat_failure(path, error)) from None
    if not stat.S_ISREG(before.st_mode):
        raise NotRegularFileError(
            f"{shown(path)}: is {_kind(before.st_mode)}, not a regular file; only regular files "
            "have a block map"
        )
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        try:
            fd = os.open(path, flags | os.O_NOATIME)
        except PermissionError as error:
            if error.errno != errno.EPERM:  # EACCES: not readable at all
                raise
            fd = os.open(path, flags)  # not the owner: O_NOATIME is not allowed
    except OSError as error:
        raise UnreadableFileError(
            f"{shown(path)}: cannot open for reading: {error.strerror}"
        ) from None
    after = os.fstat(fd)
    if not stat.S_ISREG(after.st_mode) or (after.st_dev, after.st_ino) != (
        before.st_dev,
        before.st_ino,
    ):
        os.close(fd)
        raise UnreadableFileError(f"{shown(path)}: was replaced while being opened; try again")
    return fd, after


def filesystem_of(fd: int) -> FileSystem:
    """``fstatfs()`` of an open file: its filesystem magic and block size."""
    # os.statvfs has no f_type, so call fstatfs(2) itself.  struct statfs
    # starts with two __fsword_t (C long): f_type and f_bsize.
    buffer = (ctypes.c_long * 32)()  # larger than struct statfs on any ABI
    if _libc().fstatfs(fd, ctypes.byref(buffer)) != 0:
        error = ctypes.get_errno()
        raise NoBlockMapError(f"fstatfs failed: {os.strerror(error)}")
    return FileSystem(
        magic=buffer[0] & 0xFFFFFFFF,
        blocksize=buffer[1],
        device_size=_device_size(os.fstat(fd).st_dev),
    )


def _device_size(device: int) -> int:
    """The size of the block device ``device`` from sysfs (0 when it has none, e.g. tmpfs).

    The simulator recreates a real file best on a device of the same size: its
    mkfs model then lays the filesystem's own metadata out as the real mkfs did.
    """
    path = f"/sys/dev/block/{os.major(device)}:{os.minor(device)}/size"
    try:
        with open(path) as f:
            return int(f.read().strip()) * 512  # sysfs counts 512-byte sectors
    except (OSError, ValueError):
        return 0


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "a special file")


def _stat_failure(path: str, error: OSError) -> str:
    if error.errno == errno.ENOENT and os.path.islink(path):
        return f"{shown(path)}: is a dangling symbolic link"
    if error.errno == errno.ENOENT:
        return f"{shown(path)}: no such file"
    return f"{shown(path)}: cannot stat: {error.strerror}"
