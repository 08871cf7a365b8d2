"""``mapviz fiemap``'s bulk paths against the plain ones, on random FIEMAP records.

The JSON formats a file whose extents never touch straight from columns read
out of the packed records, and the table reads the records as tuples; both
must say exactly what the per-extent paths say (merged runs, FiemapExtent's
``physical``), whichever flags and addresses come up.
"""

from __future__ import annotations

import json
import random

import pytest

from mapviz.cli.fiemap import _table_records
from mapviz.realfs.blockmap import BlockMap, FileSystem
from mapviz.realfs.export import files_json, merged_runs
from mapviz.realfs.records import ExtentArray, FiemapExtent
from mapviz.report.fiemap_table import fiemap_table, format_fiemap

XFS = FileSystem(0x58465342, 4096)
FLAGS = [0, 0, 0x800, 0x2000, 0x2802, 0x6, 0x200, 0x2]  # unwritten, shared, delalloc, inline...


def _block_map(seed: int, *, touching: bool) -> BlockMap:
    rnd = random.Random(seed)
    records = []
    offset, address = 0, 1 << 20
    for _ in range(rnd.randrange(0, 80)):
        offset += rnd.choice([0, 4096] if touching else [4096, 12288])
        length = rnd.choice([512, 4096, 16384])
        address += rnd.choice([0, 0, 8192])
        records.append((offset, address, length, rnd.choice(FLAGS)))
        offset += length
        address += length
    if records:
        last = records[-1]
        records[-1] = (*last[:3], last[3] | 0x1)
    size = offset + rnd.choice([0, 100, 8192])
    return BlockMap("/x/f", size, XFS, "fiemap", False, ExtentArray.from_records(records))


@pytest.mark.parametrize("touching", [False, True])
@pytest.mark.parametrize("seed", range(25))
def test_json_is_json_dumps_of_the_merged_runs(seed: int, touching: bool) -> None:
    block_map = _block_map(seed, touching=touching)
    runs = [run._asdict() for run in merged_runs(block_map.extents)]
    expected = {"files": {"f": {"size": block_map.size, "extents": runs}}}
    assert json.loads(files_json(block_map)) == expected
    if not touching:  # nothing merges: one run per record, the fast path's case
        assert len(runs) == len(block_map.extents)


@pytest.mark.parametrize("seed", range(25))
def test_table_records_are_what_fiemap_extent_says(seed: int) -> None:
    block_map = _block_map(seed, touching=seed % 2 == 0)
    extents: list[FiemapExtent] = list(block_map.extents)
    table = [
        line for chunk in fiemap_table(_table_records(block_map), verbose=True) for line in chunk
    ]
    assert ["f:", *table] == format_fiemap("f", extents, verbose=True)
    assert [record[1] for record in _table_records(block_map)] == [
        extent.physical or 0 for extent in extents
    ]
