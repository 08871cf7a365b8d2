"""The version, in a leaf module: any layer may import it (``mapviz/__init__`` is the facade)."""

__version__ = "0.1.0"
