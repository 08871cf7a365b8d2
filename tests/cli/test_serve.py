"""``mapviz serve`` refuses bad input before it binds anything (the app itself: tests/browser)."""

from __future__ import annotations

import pytest

from mapviz.cli import main


@pytest.mark.parametrize(
    "argv, words",
    [
        (["serve", "no-such-scenario"], "no scenario"),
        (["serve", "tour", "--port", "0"], "--port must be"),
        (["serve", "tour", "--port", "70000"], "--port must be"),
        (["serve", "tour", "--theme", "neon"], "invalid choice"),
    ],
)
def test_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
