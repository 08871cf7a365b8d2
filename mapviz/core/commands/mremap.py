"""xfs_io's ``mremap [-m] [-f ADDR] NEWLEN``: resize or move the current mapping (§9.9)."""

from __future__ import annotations

from mapviz.core.commands.context import Context
from mapviz.core.events import EventKind
from mapviz.core.memory import PAGE_SIZE, Mapping
from mapviz.core.ops.pages import zap
from mapviz.core.outcome import SyscallError
from mapviz.scenario.numbers import exact_bytes


def mremap(ctx: Context) -> None:
    """mremap(2) of the current mapping, then xfs_io's own note of the new address and length.

    mm/mremap.c: NEWLEN is rounded up to pages (0 is EINVAL); a shrink unmaps
    the tail; a growth stays in place if the pages above are free, else moves
    with MREMAP_MAYMOVE (``-m``) or fails ENOMEM; ``-f ADDR`` (MREMAP_FIXED)
    moves to ADDR, which must be page aligned and must not overlap the old range.
    """
    mapping = ctx.current_mapping()
    command = ctx.command
    process = ctx.process
    new_length = command.number(0)
    fixed = command.option("f")
    old_span = _pages(mapping.length)
    new_span = _pages(new_length)
    if new_span == 0:
        raise SyscallError("EINVAL", "mremap: the new length must not be 0")
    start = mapping.start
    if fixed is not None:
        # mremap_to(): the target must be aligned and apart from the old range
        if fixed % PAGE_SIZE:
            raise SyscallError("EINVAL", f"mremap: address {fixed:#x} is not page aligned")
        if fixed < start + old_span and start < fixed + new_span:
            raise SyscallError("EINVAL", "mremap: the new range overlaps the old one")
        if not process.is_free(fixed, fixed + new_span, ignore=mapping):
            # the kernel would unmap whatever is there; mapviz cannot cut another
            # of xfs_io's mappings in two (kernel-divergences)
            raise SyscallError(
                "EINVAL",
                f"mremap: {fixed:#x} is inside another mapping (not modelled, §9.9)",
            )
        _shrink(ctx, mapping, min(old_span, new_span))
        _move(ctx, mapping, fixed)
    elif new_span <= old_span:
        _shrink(ctx, mapping, new_span)
    elif process.is_free(start + old_span, start + new_span, ignore=mapping):
        ctx.machine.emit(
            EventKind.MMAP,
            f"{process.name} grows {mapping.describe()} in place to {exact_bytes(new_span)}; "
            "the new pages are mapped when touched",
            virtual=(process.name, start + old_span, start + new_span),
        )
    elif command.has("m"):
        _move(ctx, mapping, process.free_area(new_span))
    else:
        raise SyscallError(
            "ENOMEM",
            f"mremap: the pages above {mapping.describe()} are taken and -m "
            "(MREMAP_MAYMOVE) was not given",
        )
    mapping.length = new_length  # xfs_io keeps NEWLEN as asked, not rounded


def _pages(length: int) -> int:
    return -(-length // PAGE_SIZE) * PAGE_SIZE


def _shrink(ctx: Context, mapping: Mapping, span: int) -> None:
    """do_vmi_munmap() of the pages past ``span``."""
    old_end = mapping.start + _pages(mapping.length)
    if mapping.start + span >= old_end:
        return
    zap(ctx.machine, mapping, (mapping.start + span) // PAGE_SIZE, old_end // PAGE_SIZE, "mremap")
    ctx.machine.emit(
        EventKind.MUNMAP,
        f"{ctx.process.name} shrinks {mapping.describe()} to {exact_bytes(span)}",
        virtual=(ctx.process.name, mapping.start + span, old_end),
    )


def _move(ctx: Context, mapping: Mapping, start: int) -> None:
    """move_vma(): the page-table entries move with the mapping; the old range is freed."""
    delta = (start - mapping.start) // PAGE_SIZE
    old = mapping.describe()
    moved = {page + delta: pte for page, pte in mapping.ptes.items()}
    mapping.ptes.clear()
    mapping.ptes.update(moved)
    old_start, old_end = mapping.start, mapping.start + _pages(mapping.length)
    mapping.start = start
    ctx.machine.emit(
        EventKind.MMAP,
        f"{ctx.process.name} moves {old} to {start:#x}; its present pages move with it",
        virtual=(ctx.process.name, old_start, old_end),
    )
