"""Which step a notebook view shows: the kernel's side of the step channel.

Python moves a view from step to step; the page animates within a step and
reports every step it settles on (:mod:`mapviz.render.channel`).  The stepper
keeps the kernel's idea of the shown step, sends the requests, believes only
the page's reports that answer its latest request, and in predict mode holds
every step after the revealed ones back until a guess is made.  No GUI here:
it sends requests through a callable and tells the widget when to ask.

>>> from mapviz.frontends.session import Session
>>> from mapviz.scenario import load_scenario
>>> steps = Session(load_scenario("tour")).steps
>>> sent = []
>>> stepper = Stepper(lambda: steps, sent.append)
>>> stepper.step(); stepper.seek(5)
>>> stepper.frame, [(r["op"][0], r["frame"][0]) for r in sent]
(5, [('step', 1), ('seek', 5)])
>>> stepper.report(frame=3, want=-1, req=1)  # crossed seek(5) on the way: stale
>>> stepper.frame
5
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mapviz.core.trace import Step
from mapviz.frontends.quiz import Answer, Quiz

Request = dict[str, list[Any]]


def _nothing(*_args: Any) -> None:
    return None


class Stepper:
    """The shown step of one view, kept in step with its page.

    Parameters
    ----------
    steps
        Returns the steps as they are now (they grow as commands are typed).
    send
        Delivers a request (one row: ``seq``, ``op``, ``frame``, ``limit``) to the page.
    quiz
        The predict-then-reveal state, or None.
    asked
        Called when a question is put (or the quiz changed): show it.
    say
        Shows a one-line reminder (a guess is pending: nothing moves until it is made).
    """

    def __init__(
        self,
        steps: Callable[[], Sequence[Step]],
        send: Callable[[Request], None],
        *,
        quiz: Quiz | None = None,
        asked: Callable[[], None] = _nothing,
        say: Callable[[str], None] = _nothing,
    ) -> None:
        self._steps = steps
        self._send = send
        self.quiz = quiz
        self._asked = asked
        self._say = say
        self.frame = 0
        self.seq = 0
        self._known = len(steps())  # the steps the page has been given
        if quiz is not None:
            quiz.skip_unasked(steps())

    @property
    def total(self) -> int:
        return len(self._steps())

    @property
    def limit(self) -> int:
        """The last step the page may show (-1: all of them)."""
        return -1 if self.quiz is None else self.quiz.revealed

    @property
    def top(self) -> int:
        """The last step that may be shown."""
        return self.total if self.quiz is None else min(self.total, self.quiz.revealed)

    def request(self, op: str, frame: int) -> None:
        """Send ``op`` (``seek``, ``step``, ``play``, ``pause``, ``limit``) for ``frame``."""
        # seq makes a repeated request a change; the row is new each time, never item-assigned
        # (STACK.md pitfall 5).
        self.seq += 1
        self._send({"seq": [self.seq], "op": [op], "frame": [frame], "limit": [self.limit]})

    def report(self, *, frame: int, want: int, req: int) -> None:
        """The page settled on ``frame`` (and the learner tried to move into ``want``).

        A report made before the page took the latest request is stale: that
        request crossed it on the way and will move the page on (a notebook's
        cells keep stepping while the page answers).  Idempotent.
        """
        if req != self.seq:
            return
        self.frame = max(0, min(frame, self.top))
        if want > 0 and self.quiz is not None:
            self.ask(want)

    def step(self) -> None:
        """Animate the next step (in predict mode: ask for a prediction first)."""
        if self._waiting():
            return
        if self.frame < self.top:
            self.frame += 1
            self.request("step", self.frame)
        elif self.quiz is not None and self.frame < self.total:
            self.ask(self.frame + 1)

    def seek(self, frame: int) -> None:
        """Show step ``frame`` at once; past the revealed steps, stop there and ask."""
        top = self.top
        self.frame = max(0, min(frame, top))
        self.request("seek", self.frame)
        if frame > top and self.quiz is not None:
            self.ask(top + 1)

    def play(self) -> None:
        """Play from here on in the page; ``frame`` moves to where playing will end."""
        if self._waiting():
            return
        self.request("play", self.frame)
        self.frame = self.top
        if self.quiz is not None and self.frame < self.total:
            self.ask(self.frame + 1)

    def pause(self) -> None:
        self.request("pause", self.frame)

    def reveal(self, guess: str) -> Answer:
        """Record ``guess`` for the pending step, then animate it.

        Raises
        ------
        ValueError
            Not in predict mode, nothing pending, or not a result name.
        """
        if self.quiz is None:
            raise ValueError("this widget was made without predict=True")
        answer = self.quiz.answer(self._steps(), guess.strip())
        self.frame = answer.step
        self.request("step", answer.step)
        self._asked()
        return answer

    def story_changed(self, *, grew: bool) -> None:
        """The page got a new story: steps were typed (``grew``) or replayed under a model.

        The page moves itself: to the newest step after a command, or nowhere
        after a replay.  The request sent here only marks its earlier reports
        stale.  In predict mode a typed step the quiz asks about waits for its guess
        like any other; one it does not ask about plays, as it would without a quiz.
        """
        new = self.total > self._known
        self._known = self.total
        if self.quiz is not None:
            self.quiz.skip_unasked(self._steps())
        if new and self.quiz is not None and self.top == self.total:
            # The page took the new story under the old limit: ask it to step there.
            self.frame = self.total
            self.request("step", self.frame)
            self._asked()
            return
        if grew and self.quiz is None:
            self.frame = self.total
        self.frame = min(self.frame, self.top)
        self.request("limit", self.frame)
        if grew and self.quiz is not None and self.quiz.pending is None and self.frame == self.top:
            self.ask(self.frame + 1)
        self._asked()

    def ask(self, number: int) -> None:
        """Put the question for step ``number``, if it is the next hidden one."""
        assert self.quiz is not None
        if self.quiz.ask(self._steps(), number) is not None:
            self._asked()

    def _waiting(self) -> bool:
        if self.quiz is None or self.quiz.pending is None:
            return False
        self._say(f"step {self.quiz.pending} waits for your prediction")
        return True
