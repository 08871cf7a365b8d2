"""Plain-text reports of block maps, in the formats of the real tools.

Pure formatting without I/O: the simulator and ``mapviz fiemap`` both hand in
extents (anything shaped like :class:`Extent`) and print the lines they get.
"""

from mapviz.report.bmap_table import format_bmap, getbmap_records
from mapviz.report.extents import Extent
from mapviz.report.fiemap_table import fiemap_flags, format_fiemap

__all__ = ["Extent", "fiemap_flags", "format_bmap", "format_fiemap", "getbmap_records"]
