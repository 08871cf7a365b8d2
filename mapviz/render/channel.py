"""The notebook's step channel: the kernel asks for a step, the player says where it is.

Everything the player mutates is ``syncable=False`` (STACK.md pitfall 6), so a
kernel cannot learn from those models what the page shows, and a change the
page makes to them never reaches the kernel.  A notebook widget needs both
directions at step granularity, so it gets two small *syncable* sources:

``request`` (kernel -> page), one row, replaced whole on every request:
    ``seq`` (increasing, so a repeated request is still a change), ``op``
    (``seek``: show that step at once; ``step``: animate into it; ``play``,
    ``pause``; ``limit``: only the limit changed), ``frame``, and ``limit``:
    the last step the player may show (-1: all), which holds back a result
    until the learner has predicted it.

``status`` (page -> kernel), one row, written by the player when a step
settles: ``frame`` shown, ``want`` (the step the learner tried to move into
past the limit, else -1), ``seq``, and ``req``: the ``seq`` of the last
request the player had taken.  Messages both ways are in flight at once (a
notebook's cells run while the page reports), so the kernel only believes a
report whose ``req`` is its latest request.

Both live in the widget's own document, so two widgets in one notebook never
drive each other: each player only reads its own request source.
"""

from __future__ import annotations

from dataclasses import dataclass

from bokeh.models import ColumnDataSource


@dataclass(frozen=True, slots=True)
class Channel:
    """The request and status sources of one view."""

    request: ColumnDataSource
    status: ColumnDataSource


def new_channel(*, frame: int = 0, limit: int = -1) -> Channel:
    """A channel whose first request shows ``frame`` with the given ``limit``."""
    request = ColumnDataSource(
        data={"seq": [0], "op": ["seek"], "frame": [frame], "limit": [limit]}, name="mapviz-request"
    )
    status = ColumnDataSource(
        data={"seq": [0], "frame": [frame], "want": [-1], "req": [0]}, name="mapviz-status"
    )
    return Channel(request, status)
