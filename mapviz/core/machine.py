"""Everything the simulation is at one moment: filesystem, processes, time, kernel model.

Operations (``mapviz.core.ops``) act on a :class:`Machine` and report what
they did through :meth:`Machine.emit`; the kernel model is consulted at its
named decision points (``mapviz.core.models``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mapviz.core.events import Event, EventKind, new_event
from mapviz.core.filesystem import Filesystem
from mapviz.core.inode import Inode
from mapviz.core.memory import PAGE_SIZE, Mapping, Process
from mapviz.scenario.numbers import human_offset

if TYPE_CHECKING:
    from mapviz.core.models.base import KernelModel

DEFAULT_LEASE_BREAK_TIME = 45.0  # /proc/sys/fs/lease-break-time (kernel-semantics §1.4)


@dataclass(slots=True)
class Machine:
    """The simulated machine.  ``events`` collects what the current step does."""

    fs: Filesystem
    model: KernelModel
    processes: dict[str, Process] = field(default_factory=dict)
    current: str = "app"
    clock: float = 0.0
    lease_break_time: float = DEFAULT_LEASE_BREAK_TIME
    next_mapping_id: int = 1
    events: list[Event] = field(default_factory=list)

    def copy(self) -> Machine:
        """An independent copy (a checkpoint)."""
        return Machine(
            fs=self.fs.copy(),
            model=self.model,
            processes={name: p.copy() for name, p in self.processes.items()},
            current=self.current,
            clock=self.clock,
            lease_break_time=self.lease_break_time,
            next_mapping_id=self.next_mapping_id,
        )

    @property
    def process(self) -> Process:
        return self.processes[self.current]

    def inode(self, name: str) -> Inode:
        return self.fs.files[name]

    def mappings(self, file: str | None = None) -> Iterator[Mapping]:
        """Every mapping of every process (of ``file`` only, when given)."""
        for process in self.processes.values():
            for mapping in process.mappings:
                if file is None or mapping.file == file:
                    yield mapping

    # --- reporting ---------------------------------------------------------

    def emit(
        self,
        kind: EventKind,
        why: str,
        *,
        file: tuple[str, int, int] | None = None,
        blocks: tuple[int, int] | None = None,
        virtual: tuple[str, int, int] | None = None,
        frames: tuple[int, int] | None = None,
        **extra: object,
    ) -> None:
        """Record an event; ranges in convenient units.

        ``file`` is ``(name, first_byte, stop_byte)``, ``blocks`` device blocks
        ``(first, stop)``, ``virtual`` ``(process, first_address, stop_address)``
        and ``frames`` ``(first, stop)``.
        """
        if blocks is not None:
            bs = self.fs.blocksize
            device: tuple[int, int] | None = (blocks[0] * bs, blocks[1] * bs)
        else:
            device = None
        self.events.append(new_event(kind, why, file, virtual, device, frames, extra))

    def span(self, first_byte: int, stop_byte: int) -> str:
        """``[4 KiB, 8 KiB)``-style text for a byte range, for ``why`` strings."""
        return f"[{_offset(first_byte)}, {_offset(stop_byte)})"

    @staticmethod
    def addresses(start: int, stop: int) -> str:
        """A virtual address range in hex, as /proc/PID/maps writes it."""
        return f"[{start:#x}, {stop:#x})"

    def block_span(self, first_block: int, stop_block: int) -> str:
        """The byte range of file blocks ``[first_block, stop_block)``, as :meth:`span`."""
        bs = self.fs.blocksize
        return self.span(first_block * bs, stop_block * bs)

    def pages_text(self, first_page: int, stop_page: int) -> str:
        return self.span(first_page * PAGE_SIZE, stop_page * PAGE_SIZE)

    def blocks_text(self, first: int, stop: int) -> str:
        """Device blocks ``first..last`` as the seed mail's "blocks 16..16" wording."""
        return f"blocks {first}..{stop - 1}"


@functools.lru_cache(maxsize=1 << 16)  # a run formats the same offsets over and over
def _offset(n: int) -> str:
    return human_offset(n)  # exact: "0", "4 KiB", "2.25 KiB", "20481 B"
