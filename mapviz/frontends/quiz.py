"""Predict-then-reveal: a step's result stays hidden until the learner has guessed it.

The quiz keeps the *revealed* frontier (the views may show steps up to it),
the step waiting for a guess, and every answer given.  Steps that are not
commands (``%sleep``, ``%extent``) have nothing to guess and are revealed as
the frontier reaches them.  No GUI here: the widget shows what this decides.

>>> from mapviz.frontends.session import Session
>>> from mapviz.scenario import load_scenario
>>> session = Session(load_scenario("hole-sigbus"))
>>> quiz = Quiz()
>>> quiz.ask(session.steps, 1)
1
>>> quiz.answer(session.steps, "ok").right
True
>>> quiz.revealed, quiz.score
(1, (1, 1))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mapviz.core.trace import Step
from mapviz.scenario import RESULTS

CHOICES = ("ok", "ETXTBSY", "SIGBUS")
"""The answers offered as buttons; every other errno is in a list."""
OTHERS = ("EINVAL", "EPERM", "EOPNOTSUPP", "EACCES", "EBUSY", "ENOSPC", "EFAULT", "EBADF",
          "EIO", "EFBIG", "ENOTTY", "ENOENT", "EBADE", "EXDEV", "EISDIR", "SIGSEGV", "skipped")
"""The other results the models produce, in a list (``answer`` takes any errno name).

``skipped``: under a model other than the script's own, a command that cannot
even be issued because an earlier one failed there."""
GUESSES = RESULTS | {"skipped"}


@dataclass(frozen=True, slots=True)
class Answer:
    """One guess and what the step really did."""

    step: int
    command: str
    guess: str
    result: str
    why: str | None

    @property
    def right(self) -> bool:
        return self.guess == self.result


@dataclass(slots=True)
class Quiz:
    """Which steps may be shown, which one waits for a guess, and the answers so far."""

    revealed: int = 0
    """Steps ``1..revealed`` may be shown (0: only the start)."""
    pending: int | None = None
    """The step waiting for a guess, if any."""
    answers: list[Answer] = field(default_factory=list)

    @property
    def score(self) -> tuple[int, int]:
        """``(right, asked)``."""
        return sum(a.right for a in self.answers), len(self.answers)

    def skip_directives(self, steps: Sequence[Step]) -> None:
        """Reveal the steps after the frontier that have nothing to guess."""
        while self.revealed < len(steps) and not steps[self.revealed].is_command:
            self.revealed += 1

    def ask(self, steps: Sequence[Step], number: int) -> int | None:
        """Ask about step ``number`` if it is the next hidden one; the step now pending.

        Asking about a step already revealed, or beyond the next one, asks
        nothing (None); a question already pending stays.
        """
        self.skip_directives(steps)
        if self.pending is not None:
            return self.pending
        if number != self.revealed + 1 or number > len(steps):
            return None
        self.pending = number
        return number

    def answer(self, steps: Sequence[Step], guess: str) -> Answer:
        """Record ``guess`` for the pending step and reveal it.

        Raises
        ------
        ValueError
            No step is waiting for a guess, or ``guess`` names no result.
        """
        if self.pending is None:
            raise ValueError("no step is waiting for a prediction: step forward first")
        guess = "EOPNOTSUPP" if guess == "ENOTSUP" else guess
        if guess not in GUESSES:
            raise ValueError(f'"{guess}" is not a result (ok, SIGBUS, SIGSEGV or an errno name)')
        step = steps[self.pending - 1]
        answer = Answer(self.pending, step.command, guess, step.result, step.why)
        self.answers.append(answer)
        self.revealed, self.pending = self.pending, None
        self.skip_directives(steps)
        return answer
