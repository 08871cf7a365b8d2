"""Block maps of real files: FIEMAP, with SEEK_DATA/SEEK_HOLE as the fallback.

Read-only by construction: regular files only, opened ``O_RDONLY |
O_NONBLOCK | O_NOATIME``, and FIEMAP without ``FIEMAP_FLAG_SYNC`` unless
asked.  :func:`read_block_map` is the entry point; :mod:`mapviz.realfs.export`
turns its result into SCENARIO.md's ``files`` JSON or a scenario prologue,
and :mod:`mapviz.realfs.replay` (not imported here: it loads the simulator)
replays it in the simulator (``mapviz.simulation_from_file``).
"""

from mapviz.realfs.blockmap import BlockMap, FileSystem, open_regular, read_block_map
from mapviz.realfs.errors import (
    NoBlockMapError,
    NotRegularFileError,
    RealFileError,
    UnreadableFileError,
)
from mapviz.realfs.fiemap import iter_fiemap
from mapviz.realfs.records import ExtentArray, FiemapExtent
from mapviz.realfs.seek import iter_data_ranges

__all__ = [
    "BlockMap",
    "ExtentArray",
    "FiemapExtent",
    "FileSystem",
    "NoBlockMapError",
    "NotRegularFileError",
    "RealFileError",
    "UnreadableFileError",
    "iter_data_ranges",
    "iter_fiemap",
    "open_regular",
    "read_block_map",
]
