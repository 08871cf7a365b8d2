"""The fiemap/bmap formatters against output captured from real xfs_io 6.1.

``xfs_io_captures.json`` was recorded on a loop-mounted 512 MiB XFS (4 AGs of
32768 4-KiB blocks, reflink on, kernel 6.18): for each file, the synced raw
FIEMAP records, the size, whether ``fsxattr.xflags`` had the preallocated bit,
and the stdout of ``xfs_io -c "fiemap -v"`` (and ``fiemap``, ``bmap``,
``bmap -v``, ``bmap -vp``).  The formatters get the same extents as plain
records and must print byte-identical lines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mapviz.report import fiemap_flags, format_bmap, format_fiemap, getbmap_records

CAPTURES: dict[str, Any] = json.loads((Path(__file__).parent / "xfs_io_captures.json").read_text())
GEOMETRY = CAPTURES["geometry"]
FILES = sorted(CAPTURES["files"])

UNWRITTEN, SHARED, DELALLOC, UNKNOWN = 0x800, 0x2000, 0x4, 0x2


@dataclass(frozen=True)
class Plain:
    """A simulator-style extent: no raw FIEMAP flags."""

    offset: int
    length: int
    physical: int | None
    state: str = "written"
    shared: bool = False


@dataclass(frozen=True)
class Raw(Plain):
    """A real FIEMAP record: its flags are printed verbatim."""

    flags: int = 0


def _plain(record: list[int]) -> Plain:
    logical, physical, length, flags = record
    state = "unwritten" if flags & UNWRITTEN else "written"
    return Plain(logical, length, physical, state, bool(flags & SHARED))


def _raw(record: list[int]) -> Raw:
    plain = _plain(record)
    return Raw(plain.offset, plain.length, plain.physical, plain.state, plain.shared, record[3])


def _expected(name: str, command: str) -> list[str]:
    text: str = CAPTURES["files"][name]["output"][command]
    return text.splitlines()


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("verbose", [True, False], ids=["fiemap -v", "fiemap"])
def test_fiemap_matches_xfs_io_from_plain_extents(name: str, verbose: bool) -> None:
    capture = CAPTURES["files"][name]
    extents = [_plain(record) for record in capture["fiemap"]]
    lines = format_fiemap(name, extents, verbose=verbose, size=capture["size"])
    assert lines == _expected(name, "fiemap -v" if verbose else "fiemap")


@pytest.mark.parametrize("name", FILES)
def test_fiemap_prints_raw_flags_verbatim(name: str) -> None:
    capture = CAPTURES["files"][name]
    extents = [_raw(record) for record in capture["fiemap"]]
    assert format_fiemap(name, extents, verbose=True, size=capture["size"]) == _expected(
        name, "fiemap -v"
    )


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize(
    ("command", "verbose", "flags"),
    [("bmap", False, False), ("bmap -v", True, False), ("bmap -vp", True, True)],
)
def test_bmap_matches_xfs_io(name: str, command: str, verbose: bool, flags: bool) -> None:
    capture = CAPTURES["files"][name]
    extents = [_plain(record) for record in capture["fiemap"]]
    lines = format_bmap(
        name,
        extents,
        verbose=verbose,
        flags=flags,
        ag_blocks=GEOMETRY["agblocks"],
        blocksize=GEOMETRY["blocksize"],
        size=capture["size"],
        preallocated=capture["preallocated"],
        ag_count=GEOMETRY["agcount"],
    )
    assert lines == _expected(name, command)


def test_captures_cover_the_quirks() -> None:
    """The fixture really exercises what the formatters must get right."""
    files = CAPTURES["files"]
    # fiemap -v widths from the first batch of 32 only: a later row overflows.
    many = _expected("many", "fiemap -v")
    assert len(files["many"]["fiemap"]) > 32
    assert len({len(line.split(": ", 1)[1].split(" ")[0]) for line in many[2:]}) > 1
    # post-EOF blocks: shown by fiemap, cut by bmap without the prealloc flag
    assert not files["specprealloc"]["preallocated"]
    assert len(_expected("specprealloc", "fiemap")) > len(_expected("specprealloc", "bmap"))
    # a shared extent is flagged by bmap -v even without -p
    assert _expected("shared", "bmap -v")[2].endswith(" 100000")


def test_fiemap_synthesised_flags() -> None:
    delalloc = Plain(0, 4096, None, "delalloc")
    assert fiemap_flags(delalloc, last=False) == DELALLOC | UNKNOWN
    assert fiemap_flags(Plain(0, 4096, None), last=True) == UNKNOWN | 1
    assert fiemap_flags(Plain(0, 4096, 0, "unwritten", True), last=False) == UNWRITTEN | SHARED
    # xfs_io prints an unknown location as physical 0, as the kernel reports it
    lines = format_fiemap("d", [delalloc], verbose=True, size=4096)
    assert lines[2] == "   0: [0..7]:          0..7                 8   0x7"


def test_fiemap_with_no_extents_prints_only_the_name() -> None:
    assert format_fiemap("s", [], verbose=True, size=1 << 20) == ["s:"]
    assert format_fiemap("s", [], verbose=False, size=0) == ["s:"]


def test_fiemap_without_size_leaves_out_the_trailing_hole() -> None:
    lines = format_fiemap("f", [Plain(0, 4096, 8192)], verbose=False)
    assert lines == ["f:", "\t0: [0..7]: 16..23"]


def test_bmap_skips_delalloc_like_the_kernel() -> None:
    extents = [Plain(0, 4096, 8192), Plain(4096, 4096, None, "delalloc")]
    records = getbmap_records(extents, size=8192, blocksize=4096, flags=True)
    assert [(r.offset, r.length, r.block) for r in records] == [(0, 8, 16)]


def test_bmap_extent_beyond_eof_is_cut_unless_preallocated() -> None:
    extents = [Plain(0, 65536, 1 << 20, "unwritten")]
    cut = getbmap_records(extents, size=4096, blocksize=4096, flags=True)
    assert [(r.offset, r.length) for r in cut] == [(0, 8)]
    kept = getbmap_records(extents, size=4096, blocksize=4096, flags=True, preallocated=True)
    assert [(r.offset, r.length, r.unwritten) for r in kept] == [(0, 128, True)]


def test_bmap_ag_column_widens_with_many_ags() -> None:
    lines = format_bmap(
        "f",
        [Plain(0, 4096, 0)],
        verbose=True,
        flags=False,
        ag_blocks=8,
        blocksize=4096,
        size=4096,
        ag_count=100,
    )
    assert lines[1] == " EXT: FILE-OFFSET      BLOCK-RANGE       AG AG-OFFSET        TOTAL"
    assert lines[2] == "   0: [0..7]:          0..7               0 (0..7)               8"


# -- live: the same comparison on a freshly made XFS ---------------------------

LIVE_FILES = {
    "f2": ['-f -c "falloc 0 64k" -c "pwrite -q 16k 4k" -c fsync f2'],
    "holes": [
        '-f -c "pwrite -q -b 1m 0 1m" -c fsync -c "fpunch 64k 64k" -c "fzero 256k 64k" '
        "-c fsync holes"
    ],
    "shared": [
        '-f -c "pwrite -q 0 256k" -c fsync base',
        '-f -c "reflink base" shared',
        '-c "pwrite -q 64k 4k" -c fsync shared',
    ],
    "keep": ['-f -c "falloc -k 0 1m" keep', '-c "pwrite -q 0 4k" -c fsync keep'],
    "striped": [
        "-f "
        + " ".join(f'-c "pwrite -q {i * i * 64}k 4k"' for i in range(36))
        + " -c fsync striped"
    ],
}


@pytest.fixture(scope="module")
def live_xfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 512 MiB loop-mounted XFS, or a skip when this machine cannot make one."""
    if os.geteuid() != 0 or not all(shutil.which(t) for t in ("mkfs.xfs", "xfs_io", "mount")):
        pytest.skip("needs root, mkfs.xfs, xfs_io and mount")
    base = tmp_path_factory.mktemp("xfs")
    image, mountpoint = base / "xfs.img", base / "mnt"
    mountpoint.mkdir()
    with open(image, "wb") as stream:
        stream.truncate(512 << 20)
    made = subprocess.run(
        ["mkfs.xfs", "-q", "-f", "-m", "reflink=1", str(image)], capture_output=True, text=True
    )
    mounted = (
        made.returncode == 0
        and subprocess.run(
            ["mount", "-o", "loop", "-t", "xfs", str(image), str(mountpoint)], capture_output=True
        ).returncode
        == 0
    )
    if not mounted:
        pytest.skip("cannot make and loop-mount an XFS here")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=False)
        image.unlink()


def _xfs_io(directory: Path, arguments: str) -> str:
    command = f"xfs_io {arguments}"
    return subprocess.run(
        command, shell=True, cwd=directory, check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.kernel
@pytest.mark.parametrize("name", sorted(LIVE_FILES))
def test_live_xfs_io_output_matches(live_xfs: Path, name: str) -> None:
    from mapviz.realfs import read_block_map

    for step in LIVE_FILES[name]:
        _xfs_io(live_xfs, step)
    info = subprocess.run(["xfs_info", str(live_xfs)], capture_output=True, text=True).stdout
    geometry = {
        key: int(re.search(rf"{key}=(\d+)", info).group(1))  # type: ignore[union-attr]
        for key in ("agcount", "agsize", "bsize")
    }
    xflags = _xfs_io(live_xfs, f"-r -c stat {name}")
    block_map = read_block_map(str(live_xfs / name), sync=True)
    extents = list(block_map.extents)
    fiemap = format_fiemap(name, extents, verbose=True, size=block_map.size)
    assert fiemap == _xfs_io(live_xfs, f'-r -c "fiemap -v" {name}').splitlines()
    bmap = format_bmap(
        name,
        extents,
        verbose=True,
        flags=True,
        ag_blocks=geometry["agsize"],
        blocksize=geometry["bsize"],
        size=block_map.size,
        ag_count=geometry["agcount"],
        preallocated=bool(re.search(r"xflags = 0x[0-9a-f]+ \[-p", xflags)),
    )
    assert bmap == _xfs_io(live_xfs, f'-r -c "bmap -vp" {name}').splitlines()
