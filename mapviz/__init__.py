"""mapviz: watch Linux map a file into memory.

The simulation core (:mod:`mapviz.core`) models extents, pages and faults; the
scenario language (:mod:`mapviz.scenario`) drives it with xfs_io commands;
:class:`mapviz.MapViz` shows it in a notebook (``pip install "mapviz[notebook]"``).
"""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``mapviz.Simulation`` and ``mapviz.MapViz``, imported only when first used."""
    if name == "Simulation":
        from mapviz.core.simulation import Simulation

        return Simulation
    if name == "MapViz":
        # The notebook widget pulls in ipywidgets and Bokeh: only when asked for.
        from mapviz.frontends.widget import MapViz

        return MapViz
    raise AttributeError(f"module 'mapviz' has no attribute {name!r}")
