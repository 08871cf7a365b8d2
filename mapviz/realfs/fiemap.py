"""The FS_IOC_FIEMAP ioctl, read in batches.

The kernel fills a caller-sized array of ``struct fiemap_extent`` per call
(include/uapi/linux/fiemap.h); we ask for :data:`BATCH_EXTENTS` at a time and
resume after the last one returned, so a file with millions of extents
streams through one fixed buffer.  Each batch is kept as the kernel wrote it
(an :class:`~mapviz.realfs.records.ExtentArray`): no Python object per
extent, so reading costs little more than the kernel's own work.
"""

from __future__ import annotations

import errno
import fcntl
import struct
from collections.abc import Iterator

from mapviz.realfs.errors import NoBlockMapError
from mapviz.realfs.records import EXTENT_STRUCT, FIEMAP_EXTENT_LAST, ExtentArray

FS_IOC_FIEMAP = 0xC020660B  # _IOWR('f', 11, struct fiemap)
FIEMAP_MAX_OFFSET = (1 << 64) - 1
FIEMAP_FLAG_SYNC = 0x0001  # flush dirty data before mapping (what xfs_io always does)

BATCH_EXTENTS = 4096
"""Extents per ioctl: 229 KiB of buffer; past ~1000 the syscall count stops mattering."""

# struct fiemap: fm_start, fm_length, fm_flags, fm_mapped_extents,
# fm_extent_count, fm_reserved.
_HEADER = struct.Struct("=QQIIII")
_UNSUPPORTED = (errno.EOPNOTSUPP, errno.ENOTTY)  # ioctl_fiemap(): no ->fiemap


class FiemapUnsupportedError(Exception):
    """The filesystem has no FIEMAP (``errno`` says how it refused)."""

    def __init__(self, error: int) -> None:
        super().__init__(error)
        self.errno = error


def iter_fiemap(
    fd: int, *, sync: bool = False, batch: int = BATCH_EXTENTS, path: str = "file"
) -> Iterator[ExtentArray]:
    """Yield a file's FIEMAP records, one packed batch per ioctl, in offset order.

    Parameters
    ----------
    fd
        A descriptor of the file (read-only is enough).
    sync
        Pass ``FIEMAP_FLAG_SYNC`` so dirty data is written back first
        (delalloc becomes real blocks); off by default because it writes.
    batch
        Extents asked for per ioctl.
    path
        The name used in error messages.

    Raises
    ------
    FiemapUnsupportedError
        The very first ioctl was refused as unsupported.
    NoBlockMapError
        Any later failure, or a kernel answer that does not advance.
    """
    size = EXTENT_STRUCT.size
    buffer = bytearray(_HEADER.size + size * batch)
    flags = FIEMAP_FLAG_SYNC if sync else 0
    start = 0
    first = True
    while True:
        _HEADER.pack_into(buffer, 0, start, FIEMAP_MAX_OFFSET - start, flags, 0, batch, 0)
        try:
            fcntl.ioctl(fd, FS_IOC_FIEMAP, buffer, True)
        except OSError as error:
            if first and error.errno in _UNSUPPORTED:
                raise FiemapUnsupportedError(error.errno) from None
            raise NoBlockMapError(_ioctl_failure(path, error, sync)) from None
        first = False
        mapped = _HEADER.unpack_from(buffer)[3]
        if not mapped:
            return
        records = ExtentArray(bytes(buffer[_HEADER.size : _HEADER.size + size * mapped]))
        yield records
        last = records[-1]
        if last.flags & FIEMAP_EXTENT_LAST:
            return
        if last.end <= start:  # never loop on a filesystem that does not advance
            raise NoBlockMapError(f"{path}: FIEMAP did not advance past offset {start}")
        start = last.end


def _ioctl_failure(path: str, error: OSError, sync: bool) -> str:
    if error.errno == errno.EBADR:
        # fiemap_prep(): a flag the filesystem does not support.
        what = "FIEMAP_FLAG_SYNC" if sync else "the requested flags"
        return f"{path}: this filesystem's FIEMAP does not support {what}"
    return f"{path}: FIEMAP failed: {error.strerror}"
