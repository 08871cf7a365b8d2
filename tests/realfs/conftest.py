"""Fixtures: fresh directories on a FIEMAP filesystem (the temp dir on /) and on tmpfs."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mapviz.realfs import read_block_map
from mapviz.realfs.blockmap import filesystem_of

from .realfiles import build

TMPFS_MAGIC = 0x01021994


def _fresh_dir(candidates: list[Path], accept: Callable[[Path], bool]) -> Path | None:
    for base in candidates:
        if not base.is_dir():
            continue
        try:
            path = Path(tempfile.mkdtemp(prefix="mapviz-realfs-", dir=base))
        except OSError:
            continue
        if accept(path):
            return path
        shutil.rmtree(path, ignore_errors=True)
    return None


def _has_fiemap(directory: Path) -> bool:
    probe = build(directory / "probe", [("write", 0, 4096)])
    try:
        return read_block_map(str(probe)).method == "fiemap"
    finally:
        probe.unlink()


def _is_tmpfs(directory: Path) -> bool:
    fd = os.open(directory, os.O_RDONLY)
    try:
        return filesystem_of(fd).magic == TMPFS_MAGIC
    finally:
        os.close(fd)


@pytest.fixture
def disk_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory on a disk filesystem that answers FIEMAP (ext4 on this machine)."""
    candidates = [tmp_path, Path("/var/tmp"), Path.cwd()]
    path = _fresh_dir(candidates, _has_fiemap)
    if path is None:
        pytest.skip("no writable filesystem with FIEMAP found")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def tmpfs_dir() -> Iterator[Path]:
    """A directory on tmpfs, which has SEEK_DATA/SEEK_HOLE but no FIEMAP."""
    path = _fresh_dir([Path("/dev/shm")], _is_tmpfs)
    if path is None:
        pytest.skip("no tmpfs at /dev/shm")
    yield path
    shutil.rmtree(path, ignore_errors=True)
