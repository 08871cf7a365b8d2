"""Predict-then-reveal: a step's result stays hidden until the learner has guessed it.

The quiz keeps the *revealed* frontier (the views may show steps up to it),
the step waiting for a guess, and every answer given.  It asks only about
the steps its ``asks`` picks (:func:`questions` reads the widget's
``predict=`` argument into one); every other step -- and every step that is
no command (``%sleep``, ``%extent``) -- is revealed as the frontier reaches
it, and just plays.  No GUI here: the widget shows what this decides.

>>> from mapviz.frontends.session import Session
>>> from mapviz.scenario import load_scenario
>>> session = Session(load_scenario("hole-sigbus"))
>>> quiz = Quiz(asks=questions(True, session))
>>> quiz.skip_unasked(session.steps)  # open, truncate: no %expect, they just play
>>> quiz.revealed, quiz.ask(session.steps, 3), session.steps[2].command
(2, 3, 'pwrite 0 64k')
>>> quiz.answer(session.steps, "ok").right
True
>>> quiz.revealed, quiz.score
(3, (1, 1))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mapviz.core.trace import Step
from mapviz.errors import MapvizError
from mapviz.scenario import RESULTS

if TYPE_CHECKING:
    from mapviz.frontends.session import Session

CHOICES = ("ok", "ETXTBSY", "SIGBUS")
"""The answers offered as buttons; every other errno is in a list."""
OTHERS = (
    "EINVAL",
    "EPERM",
    "EOPNOTSUPP",
    "EACCES",
    "EBUSY",
    "ENOSPC",
    "EFAULT",
    "EBADF",
    "EIO",
    "EFBIG",
    "ENOTTY",
    "ENOENT",
    "EBADE",
    "EXDEV",
    "EISDIR",
    "SIGSEGV",
    "skipped",
)
"""The other results the models produce, in a list (``answer`` takes any errno name).

``skipped``: under a model other than the script's own, a command that cannot
even be issued because an earlier one failed there."""
GUESSES = RESULTS | {"skipped"}

Predict = bool | str | Iterable[int | str]
"""What ``MapViz(predict=...)`` takes: see :func:`questions`."""

Asks = Callable[[Step], bool]
"""Whether the quiz asks the learner to predict a step."""


def every_command(step: Step) -> bool:
    """Ask about every command (``predict="all"``)."""
    return step.is_command


def questions(predict: Predict, session: Session) -> Asks | None:
    """Which steps to ask about, from the widget's ``predict`` argument (None: no quiz).

    ``predict`` is one of

    - ``False``: no predictions;
    - ``True``: the steps that carry a ``%expect`` in the scenario (where its
      author says what happens is the point), and every command typed later;
    - ``"all"``: every command;
    - a list of scenario line numbers (``[12, 15]``, as the scenario's text and
      its error messages number them) and commands (``["mwrite 64k 4k"]``: every
      step that runs that command, typed ones too; spacing does not matter).

    Raises
    ------
    MapvizError
        Anything else, a line that runs no command, or a command no step runs.

    >>> from mapviz.frontends.session import Session
    >>> from mapviz.scenario import load_scenario
    >>> session = Session(load_scenario("hole-sigbus"))
    >>> asks = questions(["mwrite 64k  4k", 10], session)
    >>> [(s.line, s.command) for s in session.steps if asks(s)]
    [(10, 'truncate 128k'), (27, 'mwrite 64k 4k'), (34, 'mwrite 64k 4k')]
    """
    typed_from = session.typed_from
    if predict is False:
        return None
    if predict is True:
        expected = set(session.expectations)
        return lambda step: step.is_command and (step.line in expected or step.line >= typed_from)
    if predict == "all":
        return every_command
    if isinstance(predict, str) or not isinstance(predict, Iterable):
        raise MapvizError(
            f'predict={predict!r}: give True, False, "all", or a list of '
            f'line numbers and commands, e.g. predict=[12, "mwrite 64k 4k"]'
        )
    lines: set[int] = set()
    commands: set[str] = set()
    for item in predict:
        if isinstance(item, int) and not isinstance(item, bool):
            lines.add(item)
        elif isinstance(item, str) and item.strip():
            commands.add(_words(item))
        else:
            raise MapvizError(f"predict: {item!r} is neither a line number nor a command")
    ran = [step for step in session.steps if step.is_command and step.line < typed_from]
    where = sorted({step.line for step in ran})
    if lines - set(where):
        shown = ", ".join(map(str, where[:12])) + (", ..." if len(where) > 12 else "")
        because = f"commands are on lines {shown}" if where else "the scenario has none"
        raise MapvizError(f"predict: line {min(lines - set(where))} runs no command ({because})")
    unknown = commands - {_words(step.command) for step in ran}
    if ran and unknown:  # a live session has run nothing yet: its commands are all to come
        raise MapvizError(f'predict: no step runs "{min(unknown)}"')
    return lambda step: (
        step.is_command
        and ((step.line in lines and step.line < typed_from) or _words(step.command) in commands)
    )


def _words(command: str) -> str:
    return " ".join(command.split())


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
    asks: Asks = every_command
    """Which steps need a guess; the others are revealed as the frontier reaches them."""

    @property
    def score(self) -> tuple[int, int]:
        """``(right, asked)``."""
        return sum(a.right for a in self.answers), len(self.answers)

    def skip_unasked(self, steps: Sequence[Step]) -> None:
        """Reveal the steps after the frontier that the quiz does not ask about."""
        while self.revealed < len(steps) and not self.asks(steps[self.revealed]):
            self.revealed += 1

    def ask(self, steps: Sequence[Step], number: int) -> int | None:
        """Ask about step ``number`` if it is the next hidden one; the step now pending.

        Asking about a step already revealed, or beyond the next one, asks
        nothing (None); a question already pending stays.
        """
        self.skip_unasked(steps)
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
        self.skip_unasked(steps)
        return answer
