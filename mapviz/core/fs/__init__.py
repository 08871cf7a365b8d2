"""Filesystem types (``%fs xfs|ext4``): policy objects consulted at named decision points.

Like the kernel models (``mapviz/core/models``), one stateless object per
type, chosen once when the filesystem is made (``Filesystem.create``) and
asked by the operations wherever XFS and ext4 differ: ``base.py`` lists the
questions, ``xfs.py`` and ``ext4.py`` answer them with their sources, and
``xfs_geometry.py`` / ``ext4_geometry.py`` are what each mkfs lays out.
"""

from __future__ import annotations

from mapviz.core.fs.base import FsPolicy
from mapviz.core.fs.ext4 import Ext4
from mapviz.core.fs.xfs import Xfs
from mapviz.core.geometry import Geometry

FILESYSTEMS: dict[str, FsPolicy] = {policy.name: policy for policy in (Xfs(), Ext4())}


def policy_named(fs_type: str) -> FsPolicy:
    """The policy of a ``%fs`` type.

    Raises
    ------
    ValueError
        An unknown type (the parser refuses those first).

    Examples
    --------
    >>> policy_named("ext4").shares_blocks, policy_named("xfs").shares_blocks
    (False, True)
    """
    try:
        return FILESYSTEMS[fs_type]
    except KeyError:
        raise ValueError(f"unknown filesystem type {fs_type!r}") from None


def mkfs_geometry(fs_type: str, size: int, blocksize: int, reflink: bool) -> Geometry:
    """The geometry ``mkfs`` + ``mount`` give a ``size``-byte device.

    Parameters
    ----------
    fs_type
        ``"xfs"`` or ``"ext4"``.
    size
        Device size in bytes (rounded down to whole blocks).
    blocksize
        1024, 2048 or 4096 (measured); larger powers of two up to 65536
        follow the same formulas, unverified.
    reflink
        XFS ``-m reflink=1``; ignored for ext4.

    Raises
    ------
    ValueError
        Unknown type, bad block size, or a device mkfs would refuse.

    Examples
    --------
    >>> g = mkfs_geometry("ext4", 64 * 1024 * 1024, 4096, False)
    >>> g.free_blocks, g.resv_clusters, g.usable_blocks
    (14319, 327, 13992)
    """
    if blocksize < 1024 or blocksize > 65536 or blocksize & (blocksize - 1):
        raise ValueError(f"block size {blocksize} is not a power of two in 1k..64k")
    return policy_named(fs_type).mkfs(size, blocksize, reflink)


__all__ = ["FILESYSTEMS", "Ext4", "FsPolicy", "Xfs", "mkfs_geometry", "policy_named"]
