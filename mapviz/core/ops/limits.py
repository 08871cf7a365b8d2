"""Limits every filesystem enforces on offsets and sizes."""

from __future__ import annotations

from mapviz.core.machine import Machine
from mapviz.core.outcome import SyscallError


def max_file_size(machine: Machine) -> int:
    """``s_maxbytes``: XFS allows 8 EiB - 1; ext4 extent files 2**32 - 1 blocks (ext4_max_size)."""
    return machine.fs.policy.max_file_size(machine.fs.blocksize)


def check_file_limit(machine: Machine, end: int, what: str) -> None:
    """EFBIG if a file would reach past ``s_maxbytes`` (generic_write_check_limits)."""
    limit = max_file_size(machine)
    if end > limit:
        raise SyscallError(
            "EFBIG",
            f"{what} would end at byte {end}, past the largest file "
            f"{machine.fs.config.type} allows ({limit} bytes)",
        )
