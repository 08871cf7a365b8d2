"""SEEK_DATA/SEEK_HOLE: where a file has data, when FIEMAP is not available.

lseek(2) tells data from holes but says nothing about where the data lives,
so each data range comes back as a FIEMAP-shaped record flagged
``FIEMAP_EXTENT_UNKNOWN`` (physical 0, as the kernel reports an unknown
location), the final one also ``FIEMAP_EXTENT_LAST``.  Filesystems without
their own SEEK_DATA use ``generic_file_llseek_size()``, which calls the whole
file data -- still correct, merely coarse.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator

from mapviz.realfs.errors import NoBlockMapError
from mapviz.realfs.fiemap import BATCH_EXTENTS
from mapviz.realfs.records import FIEMAP_EXTENT_LAST, FIEMAP_EXTENT_UNKNOWN, ExtentArray

# lseek() refuses SEEK_DATA with EINVAL (seq_lseek, as in /proc) or has no
# llseek at all (ESPIPE); neither says anything about the file's layout.
_UNSUPPORTED = (errno.EINVAL, errno.ESPIPE, errno.EOPNOTSUPP)


class SeekUnsupportedError(Exception):
    """lseek(SEEK_DATA) is not available (``errno`` says how it refused)."""

    def __init__(self, error: int) -> None:
        super().__init__(error)
        self.errno = error


def iter_data_ranges(
    fd: int, size: int, *, blocksize: int = 1, batch: int = BATCH_EXTENTS, path: str = "file"
) -> Iterator[ExtentArray]:
    """Yield the data ranges of ``fd`` below ``size``, a batch at a time.

    Parameters
    ----------
    fd
        A descriptor of the file; its file position is moved.
    size
        The file size: ranges are searched below it (SEEK_HOLE always finds
        the implicit hole at EOF).
    blocksize
        Ranges are rounded out to this unit, as FIEMAP rounds extents to
        blocks: SEEK_HOLE reports EOF itself, mid-block.
    batch
        Ranges per yielded list.
    path
        The name used in error messages.

    Raises
    ------
    SeekUnsupportedError
        The first lseek(SEEK_DATA) was refused: the filesystem has no notion
        of data and holes for this file.
    NoBlockMapError
        A later lseek failed for another reason.
    """
    pending: list[tuple[int, int, int, int]] = []
    position = 0
    first = True
    # Probe once even for an empty file, so "no SEEK_DATA at all" is noticed.
    while first or position < size:
        try:
            data = os.lseek(fd, position, os.SEEK_DATA)
            hole = os.lseek(fd, data, os.SEEK_HOLE)
        except OSError as error:
            if error.errno == errno.ENXIO:  # no data at or after position
                break
            if first and error.errno in _UNSUPPORTED:
                raise SeekUnsupportedError(error.errno) from None
            raise NoBlockMapError(f"{path}: lseek(SEEK_DATA) failed: {error.strerror}") from None
        first = False
        if hole <= data:  # a file shrinking under us; stop rather than loop
            break
        start = data // blocksize * blocksize
        end = -(-hole // blocksize) * blocksize
        pending.append((start, 0, end - start, FIEMAP_EXTENT_UNKNOWN))
        position = hole
        # Hold the newest range back: only at the end do we know it is LAST.
        if len(pending) > batch:
            yield ExtentArray.from_records(pending[:-1])
            pending = pending[-1:]
    if pending:
        offset, address, length, flags = pending[-1]
        pending[-1] = (offset, address, length, flags | FIEMAP_EXTENT_LAST)
        yield ExtentArray.from_records(pending)
