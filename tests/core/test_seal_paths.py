"""The kernel's own writes, flushes and trims go through the model too (issue 14, 2b).

``%swapon`` writes a swap header and fsyncs it, and every close on XFS may
free the blocks past EOF.  Under ``map-direct-v5`` those met no seal: the
header write copied a shared block of a sealed DAX file, and the close after
mkswap freed a sealed file's post-EOF blocks.  Each case runs with every
invariant checked (``check=True`` asserts "sealed block map changed"), and
the sealed file's allocated extents are compared across the step as well.
"""

from __future__ import annotations

import pytest

from mapviz.core.simulation import Simulation
from mapviz.core.trace import Step
from mapviz.scenario import parse_scenario

DAX_SHARED_HEADER = """\
%kernel map-direct-v5
%fs xfs dax
open -f donor
pwrite 0 64k
open -f data
reflink donor
funshare 0 64k
mmap -D 0 16k
%swapon
"""

DELALLOC_FSYNC_1K = """\
%kernel map-direct-v5
%fs xfs blocksize=1k
open -f donor
pwrite 0 64k
open -f data
file 0
pwrite 128k 4k
fdatasync
mmap -D 0 12k
%swapon
"""


def _run(text: str) -> Simulation:
    return Simulation.from_scenario(parse_scenario(text), check=True)


def _allocated_after(sim: Simulation, step: Step, name: str) -> list[tuple[int, int, int | None]]:
    return [
        (e.offset // sim.fs.blocksize, e.end // sim.fs.blocksize, e.physical)
        for e in step.files[name].extents
        if e.physical is not None
    ]


def _unchanged_across_last_step(sim: Simulation, name: str) -> None:
    before, last = sim.steps[-2], sim.steps[-1]
    assert _allocated_after(sim, last, name) == _allocated_after(sim, before, name)


def test_header_write_over_a_shared_dax_block_is_refused() -> None:
    # Without the funshare the block is still shared at %swapon: the header write
    # would copy it at once on DAX, which v5's xfs_bmapi_write() refuses (§2.2).
    sim = _run(DAX_SHARED_HEADER.replace("funshare 0 64k\n", ""))
    swapon = sim.steps[-1]
    assert swapon.result == "ETXTBSY", swapon.why
    assert "mkswap's header write" in (swapon.why or "")
    _unchanged_across_last_step(sim, "data")


def test_the_first_case_of_the_issue_leaves_the_sealed_map_alone() -> None:
    # funshare on DAX copies at once (dax_file_unshare), so nothing is shared when
    # the file is sealed: the header overwrites its block in place and swapon works.
    sim = _run(DAX_SHARED_HEADER)
    assert [s.result for s in sim.steps][-3:] == ["ok", "ok", "ok"]
    assert not any(e.shared for e in sim.steps[-3].files["data"].extents)
    _unchanged_across_last_step(sim, "data")


def test_a_sealed_file_keeps_its_post_eof_blocks_through_mkswap() -> None:
    sim = _run(DELALLOC_FSYNC_1K)
    swapon = sim.steps[-1]
    assert swapon.result == "EINVAL", swapon.why  # the hole at [64k, 128k)
    _unchanged_across_last_step(sim, "donor")
    kept = [e for e in swapon.events if e.kind.value == "seal" and "stay" in e.why]
    assert kept, [e.why for e in swapon.events]


def test_a_close_keeps_a_sealed_files_post_eof_blocks_until_the_seal_goes() -> None:
    sim = _run(
        "%kernel map-direct-v5\n%fs xfs blocksize=1k\nopen -f a\npwrite 128k 4k\nfdatasync\n"
        "mmap -D 0 4k\nopen -f a\nclose\nmunmap\nopen -f a\nclose\n"
    )
    by_line = {s.command: s for s in sim.steps}
    sealed_close, free_close = [s for s in sim.steps if s.command == "close"]
    assert _allocated_after(sim, sealed_close, "a") == _allocated_after(
        sim, by_line["fdatasync"], "a"
    )
    # unsealed, the next writable close trims them as mainline does
    assert _allocated_after(sim, free_close, "a")[-1][1] == 132


@pytest.mark.parametrize("kernel", ["mainline", "map-direct-lease", "map-sync"])
def test_without_a_seal_the_close_still_trims(kernel: str) -> None:
    sim = _run(
        f"%kernel {kernel}\n%fs xfs blocksize=1k\nopen -f a\npwrite 128k 4k\nfdatasync\n"
        "open -f a\nclose\n"
    )
    assert _allocated_after(sim, sim.steps[-1], "a")[-1][1] == 132


def test_sync_flushes_other_files_past_a_sealed_one() -> None:
    # sync(2) reports no writeback error: a sealed file's failed flush does not stop it
    sim = _run(
        "%kernel map-direct-v5\nopen -f a\ntruncate 64k\nfsync\nmmap -D 0 64k\n"
        "pwrite 0 4k\nopen -f b\npwrite 0 4k\nsync\n"
    )
    assert sim.steps[-1].result == "ok"
    assert [e.state for e in sim.steps[-1].files["b"].extents] == ["written"]


def test_a_close_whose_flush_fails_still_closes() -> None:
    # xfs_file_release() starts a flush after a truncate down and ignores how it went:
    # under the seal the delalloc block cannot be allocated, the data is dropped, and
    # close(2) returns 0
    sim = _run(
        "%kernel map-direct-v5\nopen -f a\ntruncate 64k\npwrite 0 4k\nfsync\ntruncate 48k\n"
        "mmap -D 0 16k\npwrite 8k 4k\nopen a\nclose\n"
    )
    close = sim.steps[-1]
    assert close.result == "ok", close.why
    assert any("failed: the data is discarded" in e.why for e in close.events), [
        e.why for e in close.events
    ]
