"""The invariants of DESIGN.md, checked after every step in tests.

Device-wide ones (no overlap, refcounts, free + used = size) live in
``Filesystem._check``; this adds what spans layers: every present page-table
entry points at the frame or block that backs that file offset *now*, and a
writable shared entry implies its page is dirty (writeback write-protects).
"""

from __future__ import annotations

from mapviz.core.extents import ExtentState
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE, Mapping


def check_machine(machine: Machine) -> None:
    """Assert every invariant; raise AssertionError naming the first broken one."""
    machine.fs._check()
    machine.fs.frames._check()
    for process in machine.processes.values():
        assert process.current_file is None or 0 <= process.current_file < len(process.files)
        assert process.current_mapping is None or (
            0 <= process.current_mapping < len(process.mappings)
        )
        for mapping in process.mappings:
            _check_mapping(machine, mapping)
    assert machine.fs.delalloc_reserved == sum(
        # delalloc blocks plus XFS's worst-case bmbt reservation for them (Inode.indlen)
        inode.delalloc_blocks() + inode.indlen
        for inode in machine.fs.files.values()
    ), "delalloc reservations do not add up"


def _check_mapping(machine: Machine, mapping: Mapping) -> None:
    for vpage, pte in mapping.ptes.items():
        assert mapping.start <= vpage * PAGE_SIZE < mapping.end, (
            "entry outside its mapping",
            mapping.id,
            vpage,
        )
        if pte.target == "anon":
            continue
        if pte.target == "zero":
            assert not pte.writable, ("writable zero page", mapping.id, vpage)
        if mapping.file is None:
            assert pte.target == "zero", ("anonymous mapping points into a file", vpage)
            continue
        inode = machine.inode(mapping.file)
        file_page = mapping.file_page(vpage)
        bpp = machine.fs.blocks_per_page
        if pte.target == "frame":
            assert inode.cache.frame_of(file_page) == pte.number, (
                "entry points at a frame that no longer caches its page",
                mapping.id,
                vpage,
            )
            if pte.writable and mapping.shared:
                dirty = inode.cache.dirty.any_in(file_page * bpp, (file_page + 1) * bpp)
                assert dirty, ("writable shared entry over a clean page", mapping.id, vpage)
        elif pte.target == "block":
            extent = inode.data.find(file_page)
            assert extent is not None and extent.state is ExtentState.WRITTEN, (
                "DAX entry over a block that is no longer written",
                mapping.id,
                vpage,
            )
            assert extent.physical_block is not None
            assert extent.physical_block + file_page - extent.file_block == pte.number, (
                "DAX entry points at a block that no longer backs its offset",
                mapping.id,
                vpage,
            )
        elif pte.target == "zero":
            extent = inode.data.find(file_page)
            assert extent is None or extent.state is not ExtentState.WRITTEN, (
                "zero page mapped over written data",
                mapping.id,
                vpage,
            )
