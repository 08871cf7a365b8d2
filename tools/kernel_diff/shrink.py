"""Shrink a diverging case by delta debugging, keeping the *same* divergence.

The shrinker only edits text; whether a candidate still diverges the same
way is a question it hands to a callable (in ``kernel_diff`` that records
the candidate on the real kernel and compares signatures; in the tests it is
a plain predicate).  Candidates are tried in this order, round after round
until nothing changes (at most three rounds):

* drop commands (ddmin: halves, then quarters, ... then single lines);
* drop ``%fs`` options (``blocksize=1k``, ``size=16m``, ``noreflink``);
* drop ``pwrite``/``mwrite`` options (``-S 0x61``, ``-b 64k``, ``-w``);
* make numbers smaller (0, 1k, 4k, 8k, 16k, 64k, half).

The header (``%title``, ``%kernel``, ``%fs``) is never dropped: it is what
makes the case a mainline case on the right filesystem.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tools.kernel_diff.generate import HEADER_DIRECTIVES, K, number_text

StillDiverges = Callable[[str], bool]
"""Whether a candidate case (scenario text) still diverges the same way."""

ROUNDS = 3
_SUFFIX_BYTES = {"": 1, "k": K, "m": 1 << 20, "b": 4096}
_SMALL_NUMBERS = (0, 1024, 4096, 8192, 16 * K, 64 * K)
_DROPPABLE_OPTIONS = (r" -S 0x[0-9a-f]+", r" -b 64k", r" -[wW](?= )")


def is_header(line: str) -> bool:
    return line.startswith(HEADER_DIRECTIVES)


class Shrinker:
    """Shrinks ``text``, a case for which ``still_diverges(text)`` holds.

    Parameters
    ----------
    text
        The diverging case.
    still_diverges
        The oracle; called once per distinct candidate (answers are cached).
    first_line
        The line of ``text`` the divergence is at, if known: everything after
        it is tried away first, in one go.
    """

    def __init__(
        self, text: str, still_diverges: StillDiverges, first_line: int | None = None
    ) -> None:
        self.lines = text.splitlines()
        self.head = [line for line in self.lines if is_header(line)]
        self.body = self._commands(self.lines)
        self.still_diverges = still_diverges
        self.first_line = first_line
        self.tries = 0
        """Candidates handed to the oracle (cache hits not counted)."""
        self._answers: dict[str, bool] = {}

    @staticmethod
    def _commands(lines: list[str]) -> list[str]:
        return [line for line in lines if line.strip() and not is_header(line)]

    def text(self, head: list[str] | None = None, body: list[str] | None = None) -> str:
        head = self.head if head is None else head
        body = self.body if body is None else body
        return "\n".join(head + body) + "\n"

    def run(self) -> str:
        """The smallest case found (every pass keeps the divergence)."""
        self.cut_after_first_divergence()
        for _ in range(ROUNDS):
            before = self.text()
            self.drop_commands()
            self.drop_fs_options()
            self.drop_command_options()
            self.simplify_numbers()
            if self.text() == before:
                break
        return self.text()

    def accepts(self, head: list[str], body: list[str]) -> bool:
        text = self.text(head, body)
        if text not in self._answers:
            self.tries += 1
            self._answers[text] = self.still_diverges(text)
        return self._answers[text]

    def _try_body(self, body: list[str]) -> bool:
        """Keep ``body`` if the case still diverges with it."""
        if body != self.body and self.accepts(self.head, body):
            self.body = body
            return True
        return False

    # --- passes ----------------------------------------------------------------

    def cut_after_first_divergence(self) -> None:
        # Line numbers are the original text's (blank lines count), so cut it, not the body.
        if self.first_line is not None and self.first_line > 0:
            self._try_body(self._commands(self.lines[: self.first_line]))

    def drop_commands(self) -> None:
        """ddmin over the commands: never leaves the case without any."""
        chunks = 2
        while self.body:
            size = max(1, len(self.body) // chunks)
            changed = False
            start = 0
            while start < len(self.body):
                candidate = self.body[:start] + self.body[start + size :]
                if candidate and self._try_body(candidate):
                    changed = True
                else:
                    start += size
            if size == 1 and not changed:
                break
            if not changed:
                chunks = min(len(self.body), chunks * 2)

    def drop_fs_options(self) -> None:
        for index, line in enumerate(self.head):
            if not line.startswith("%fs"):
                continue
            words = line.split()
            for option in words[2:]:
                candidate = " ".join(word for word in words if word != option)
                head = list(self.head)
                head[index] = candidate
                if self.accepts(head, self.body):
                    self.head = head
                    words = candidate.split()

    def drop_command_options(self) -> None:
        for index in range(len(self.body)):
            line = self.body[index]
            for option in _DROPPABLE_OPTIONS:
                candidate = re.sub(option, "", line)
                if candidate != line and self._try_body(self._with_line(index, candidate)):
                    line = candidate

    def simplify_numbers(self) -> None:
        for index in range(len(self.body)):
            words = self.body[index].split()
            if words[0].startswith("%"):
                continue
            for position in range(1, len(words)):
                for smaller in simpler_numbers(words[position]):
                    candidate = [*words[:position], smaller, *words[position + 1 :]]
                    if self._try_body(self._with_line(index, " ".join(candidate))):
                        words = candidate
                        break

    def _with_line(self, index: int, line: str) -> list[str]:
        body = list(self.body)
        body[index] = line
        return body


def simpler_numbers(word: str) -> list[str]:
    """Smaller values to try for a number word, smallest first (none for other words).

    >>> simpler_numbers("64k")
    ['0', '1k', '4k', '8k', '16k', '32k']
    >>> simpler_numbers("0x62"), simpler_numbers("a")
    ([], [])
    """
    match = re.fullmatch(r"(\d+)([kmb]?)", word)
    if not match:
        return []
    value = int(match.group(1)) * _SUFFIX_BYTES[match.group(2)]
    candidates = (*_SMALL_NUMBERS, value // 2 // 1024 * 1024, value // 2)
    return list(dict.fromkeys(number_text(c) for c in candidates if 0 <= c < value))
