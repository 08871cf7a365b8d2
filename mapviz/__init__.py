"""mapviz: watch Linux map a file into memory.

The simulation core (:mod:`mapviz.core`) models extents, pages and faults; the
scenario language (:mod:`mapviz.scenario`) drives it with xfs_io commands.
"""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``mapviz.Simulation`` and ``mapviz.MapViz``, imported only when first used."""
    if name == "Simulation":
        from mapviz.core.simulation import Simulation

        return Simulation
    raise AttributeError(f"module 'mapviz' has no attribute {name!r}")
