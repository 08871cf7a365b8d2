"""Numbers as xfs_io reads and prints them."""

from __future__ import annotations


def human_bytes(n: int) -> str:
    """Short binary size for labels: ``4096 -> '4 KiB'``, ``1536 -> '1.5 KiB'``.

    >>> human_bytes(65536)
    '64 KiB'
    >>> human_bytes(100)
    '100 B'
    """
    for unit, name in ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= unit:
            value = n / unit
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text} {name}"
    return f"{n} B"


def short_bytes(n: int) -> str:
    """Scenario-style size: ``65536 -> '64k'``, ``10000 -> '10000'``.

    >>> short_bytes(65536), short_bytes(10000), short_bytes(0)
    ('64k', '10000', '0')
    """
    for unit, suffix in ((1 << 40, "t"), (1 << 30, "g"), (1 << 20, "m"), (1 << 10, "k")):
        if n and n % unit == 0:
            return f"{n // unit}{suffix}"
    return str(n)
