"""The shape of an extent as the report formatters read it."""

from __future__ import annotations

from typing import Protocol


class Extent(Protocol):
    """What the formatters read from an extent (holes are the gaps).

    ``offset``, ``length`` and ``physical`` are bytes; ``physical`` is
    ``None`` when the location is unknown (delalloc, or a map from
    SEEK_DATA).  ``state`` is ``"written"``, ``"unwritten"`` or
    ``"delalloc"``.  An extent that also has an integer ``flags`` attribute
    (a raw FIEMAP record) has those flags printed verbatim by
    :func:`format_fiemap`.
    """

    @property
    def offset(self) -> int: ...

    @property
    def length(self) -> int: ...

    @property
    def physical(self) -> int | None: ...

    @property
    def state(self) -> str: ...

    @property
    def shared(self) -> bool: ...
