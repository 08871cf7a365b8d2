"""mapviz: watch Linux map a file into memory.

The simulation core (:mod:`mapviz.core`) models extents, pages and faults; the
scenario language (:mod:`mapviz.scenario`) drives it with xfs_io commands;
:func:`mapviz.simulation_from_file` replays a real file's block map in it
(:mod:`mapviz.realfs`); :class:`mapviz.MapViz` shows it in a notebook
(``pip install "mapviz[notebook]"``).
"""

from mapviz._version import __version__ as __version__


def __getattr__(name: str) -> object:
    """``mapviz.Simulation``, ``mapviz.simulation_from_file`` and ``mapviz.MapViz``,
    imported only when first used."""
    if name == "Simulation":
        from mapviz.core.simulation import Simulation

        return Simulation
    if name == "simulation_from_file":
        from mapviz.realfs.replay import simulation_from_file

        return simulation_from_file
    if name == "MapViz":
        # The notebook widget pulls in ipywidgets and Bokeh: only when asked for.
        from mapviz.frontends.widget import MapViz

        return MapViz
    raise AttributeError(f"module 'mapviz' has no attribute {name!r}")
