"""The simulation core: extents, pages, faults and kernel models (stdlib + sortedcontainers).

Its only output is the trace: :class:`Step` records of frozen, typed
:class:`Event` objects, plus per-step file views.
"""

from mapviz.core.events import Event, EventKind
from mapviz.core.simulation import Simulation
from mapviz.core.snapshot import ExtentView, FileView
from mapviz.core.trace import Step

__all__ = ["Event", "EventKind", "ExtentView", "FileView", "Simulation", "Step"]
