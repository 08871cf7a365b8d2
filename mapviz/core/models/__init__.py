"""Kernel models (``%kernel``): policy objects consulted at named decision points."""

from __future__ import annotations

from mapviz.core.models.base import BlockMapChange, Change, KernelModel, MmapRequest
from mapviz.core.models.mainline import Mainline
from mapviz.core.models.map_direct_lease import MapDirectLease
from mapviz.core.models.map_direct_v5 import MapDirectV5
from mapviz.core.models.map_sync import MapSync

MODELS: dict[str, KernelModel] = {
    model.name: model for model in (Mainline(), MapDirectV5(), MapDirectLease(), MapSync())
}


def model_named(name: str) -> KernelModel:
    """The model for a ``%kernel`` name (the parser has checked it)."""
    return MODELS[name]


__all__ = [
    "MODELS",
    "BlockMapChange",
    "Change",
    "KernelModel",
    "MmapRequest",
    "model_named",
]
