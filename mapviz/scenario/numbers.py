"""Numbers as xfs_io reads and prints them."""

from __future__ import annotations

UNITS = ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"))


def exact_bytes(n: int) -> str:
    """A byte count in the largest binary unit that shows it exactly, in at most three decimals.

    What a learner reads in a message or on an axis: never rounded, so a count
    no unit shows exactly stays in bytes.

    >>> exact_bytes(262144), exact_bytes(1310720), exact_bytes(1 << 40)
    ('256 KiB', '1.25 MiB', '1 TiB')
    >>> exact_bytes(1049600), exact_bytes(4097), exact_bytes(0)
    ('1025 KiB', '4097 B', '0 B')
    """
    for unit, name in UNITS:
        if n >= unit and n * 1000 % unit == 0:
            whole, rest = divmod(n, unit)
            decimals = f"{rest * 1000 // unit:03d}".rstrip("0")
            return f"{whole}.{decimals} {name}" if decimals else f"{whole} {name}"
    return f"{n} B"


def human_offset(n: int) -> str:
    """A byte offset for a message or an axis: ``0``, then as :func:`exact_bytes`.

    >>> human_offset(0), human_offset(12288), human_offset(1310720), human_offset(100)
    ('0', '12 KiB', '1.25 MiB', '100 B')
    """
    return "0" if n == 0 else exact_bytes(n)


def human_bytes(n: int) -> str:
    """Short binary size for labels: ``4096 -> '4 KiB'``, ``1536 -> '1.5 KiB'``.

    Exact where :func:`exact_bytes` finds a unit (``1.25 MiB``, never ``1.2 MiB``);
    otherwise rounded to one decimal (``100000 -> '97.7 KiB'``).

    >>> human_bytes(65536), human_bytes(1310720), human_bytes(100000)
    ('64 KiB', '1.25 MiB', '97.7 KiB')
    >>> human_bytes(100)
    '100 B'
    """
    exact = exact_bytes(n)
    if n < 1024 or not exact.endswith(" B"):
        return exact
    for unit, name in UNITS:
        if n >= unit:
            text = f"{n / unit:.1f}".rstrip("0").rstrip(".")
            return f"{text} {name}"
    return exact  # pragma: no cover (n >= 1024 always finds a unit)


def short_bytes(n: int) -> str:
    """Scenario-style size: ``65536 -> '64k'``, ``10000 -> '10000'``.

    >>> short_bytes(65536), short_bytes(10000), short_bytes(0)
    ('64k', '10000', '0')
    """
    for unit, suffix in ((1 << 40, "t"), (1 << 30, "g"), (1 << 20, "m"), (1 << 10, "k")):
        if n and n % unit == 0:
            return f"{n // unit}{suffix}"
    return str(n)
