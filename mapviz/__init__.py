"""mapviz: watch Linux map a file into memory.

The simulation core (:mod:`mapviz.core`) models extents, pages and faults; the
scenario language (:mod:`mapviz.scenario`) drives it with xfs_io commands.
"""

__version__ = "0.1.0"
