"""The step directives ``%swapon`` and ``%swapoff`` (on the current file)."""

from __future__ import annotations

from mapviz.core.commands.context import Context
from mapviz.core.ops import swap as swap_ops


def swapon(ctx: Context) -> None:
    _entry, inode = ctx.current_file()
    swap_ops.swapon(ctx.machine, inode)


def swapoff(ctx: Context) -> None:
    _entry, inode = ctx.current_file()
    swap_ops.swapoff(ctx.machine, inode)
