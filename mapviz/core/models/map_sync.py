"""``map-sync``: mainline, answering MAP_DIRECT with what Linux merged instead (§1.6).

Christoph Hellwig asked what MAP_DIRECT promised that "MAP_SYNC on a fully
allocated and pre-zeroed file" did not (§1.2); Linux 4.15 merged
MAP_SHARED_VALIDATE and MAP_SYNC.  This model reads xfs_io's ``-D`` as that
merged answer -- MAP_SHARED_VALIDATE|MAP_SYNC -- so a MAP_DIRECT script shows
what it gets today: on DAX a store fault that allocates or converts makes the
block-map metadata durable before the page is mapped (``dax_finish_sync_fault``),
and nothing is pinned: punch, truncate and reflink all proceed (§6, last column);
without DAX the mmap is EOPNOTSUPP.
"""

from __future__ import annotations

from dataclasses import replace

from mapviz.core.models.base import MmapRequest
from mapviz.core.models.mainline import Mainline


class MapSync(Mainline):
    name = "map-sync"
    summary = "mainline with MAP_DIRECT read as MAP_SYNC: durable metadata, nothing pinned"

    def read_flags(self, request: MmapRequest, direct_flag: bool, sync_flag: bool) -> MmapRequest:
        sync = sync_flag or (direct_flag and request.shared)
        return replace(request, direct=False, sync=sync, validate=sync)
