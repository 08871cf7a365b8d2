"""Progress of long work on a terminal: one line on standard error, rewritten in place.

Only on a terminal (a pipe or a log gets nothing), only after the work has
taken a moment (a bundled scenario exports without a flicker), and at most
a few times a second.  The line is erased when the work ends, so what the
command prints afterwards reads as before.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

QUIET_FOR = 1.0  # seconds of work before the line first appears
EVERY = 0.2  # seconds between updates


class TerminalProgress:
    """A :data:`mapviz.view.picture.Progress` that draws ``command: what done/total``.

    >>> import io
    >>> stream = io.StringIO()
    >>> progress = TerminalProgress("mapviz export", stream, force=True, quiet_for=0)
    >>> progress("drawing", 5, 10)
    >>> progress.close()
    >>> stream.getvalue().split("\\r")[1]
    'mapviz export: drawing 5/10 (50%)'
    """

    def __init__(
        self,
        command: str,
        stream: TextIO | None = None,
        *,
        force: bool = False,
        quiet_for: float = QUIET_FOR,
    ) -> None:
        self.command = command
        self.stream = stream if stream is not None else sys.stderr
        self.shown = force or self.stream.isatty()
        self.started = time.monotonic()
        self.quiet_until = self.started + quiet_for
        self.next_update = 0.0
        self.width = 0

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.shown:
            return
        now = time.monotonic()
        if now < self.quiet_until or (now < self.next_update and done < total):
            return
        self.next_update = now + EVERY
        share = f" ({100 * done // total}%)" if total else ""
        line = f"{self.command}: {what} {done:,}/{total:,}{share}"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(line))

    def close(self) -> None:
        """Erase the line (if one was drawn)."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
