"""``fiemap OFF LEN``, ``fiemap -a -l``, ``bmap -a -e -l`` in the transcript, against xfs_io 6.1.

The expected lines were printed by xfs_io 6.1 on kernel 6.18 running the
same commands on a fresh 4-KiB-block XFS (the mkfs of ``mapviz run --real``):
the simulator's transcript must print them byte for byte.
"""

from __future__ import annotations

import re

from mapviz.core.simulation import Simulation
from mapviz.report.fiemap_table import Window, window_records
from mapviz.report.transcript import transcript
from mapviz.scenario import parse_scenario

SCENARIO = """\
%kernel mainline
%fs xfs
open -f a
pwrite -q 0 64k
falloc 128k 64k
bmap -e
bmap -elv
fiemap -v 8k 16k
fiemap -l 0 256k
fiemap 100k
fiemap -a
bmap -a
bmap -l
"""

XFS_IO = """\
a:
\t0: [0..127]: 320..447
\t1: [128..255]: hole
\t2: [256..383]: 192..319
a:
 EXT: FILE-OFFSET      BLOCK-RANGE      AG AG-OFFSET        TOTAL
   0: [0..127]:        320..447          0 (320..447)         128
   1: [128..255]:      hole                                   128
   2: [256..383]:      192..319          0 (192..319)         128
a:
 EXT: FILE-OFFSET      BLOCK-RANGE      TOTAL FLAGS
   0: [16..47]:        336..367            32   0x1
a:
\t0: [0..127]: 320..447 128 blocks
\t1: [128..255]: hole 128 blocks
\t2: [256..383]: 192..319 128 blocks
a:
\t0: [200..255]: hole
\t1: [256..383]: 192..319
a:
a: no extents
a:
\t0: [0..127]: 320..447 128 blocks
\t1: [128..255]: hole 128 blocks
\t2: [256..383]: 192..319 128 blocks
"""


def _printed(text: str) -> list[str]:
    sim = Simulation.from_scenario(parse_scenario(text, "t.scenario"))
    lines = list(transcript(sim, "t", events=False))
    # what xfs_io printed: the indented lines under each step
    return [line[7:] for line in lines if line.startswith("       ") and "why:" not in line]


def test_map_reports_print_what_xfs_io_prints() -> None:
    printed = [line for line in _printed(SCENARIO) if not line.startswith("wrote")]
    assert printed == XFS_IO.splitlines()


def test_bmap_e_reports_delalloc_without_flushing() -> None:
    printed = _printed("%fs xfs\nopen -f a\npwrite -q 0 8k\nbmap -e\nbmap -e\nbmap\n")
    assert printed[:4] == ["a:", "\t0: [0..15]: delalloc", "a:", "\t0: [0..15]: delalloc"]
    # the plain bmap flushed: the blocks have an address now
    assert printed[4] == "a:"
    assert re.fullmatch(r"\t0: \[0\.\.15\]: (\d+)\.\.(\d+)", printed[5])


def test_an_empty_fork_is_one_hole_with_bmap_e() -> None:
    printed = _printed("%fs xfs\nopen -f a\ntruncate 8k\nbmap -e\nbmap\n")
    assert printed == ["a:", "\t0: [0..15]: hole", "a: no extents"]


def test_a_window_cuts_records_to_its_blocks_and_flags_the_last() -> None:
    records = [(0, 1 << 20, 16384, 0), (16384, 1 << 21, 8192, 0x801)]
    assert window_records(records, Window(5000, 17000, 4096)) == [
        (4096, (1 << 20) + 4096, 12288, 0),
        (16384, 1 << 21, 4096, 0x801),
    ]
    assert window_records(records, Window(64 << 10, None, 4096)) == []
