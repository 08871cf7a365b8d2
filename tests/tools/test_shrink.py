"""The delta-debugging shrinker, against fake oracles (no kernel)."""

from __future__ import annotations

from tools.kernel_diff.shrink import Shrinker, StillDiverges, simpler_numbers

CASE = """\
%title shrink me
%kernel mainline
%fs xfs blocksize=1k size=16m
open -f a
pwrite -S 0x61 0 64k
fsync

falloc -k 64k 64k
truncate 8k
close
open -f b
reflink a 0 0 8k
mmap 0 8k
mwrite
"""


def contains(*wanted: str) -> StillDiverges:
    def still_diverges(text: str) -> bool:
        return all(line in text.splitlines() for line in wanted)

    return still_diverges


def test_shrinks_to_the_lines_the_divergence_needs_and_keeps_the_header() -> None:
    shrunk = Shrinker(CASE, contains("truncate 8k", "reflink a 0 0 8k")).run()
    assert shrunk == "%title shrink me\n%kernel mainline\n%fs xfs\ntruncate 8k\nreflink a 0 0 8k\n"


def test_keeps_fs_options_the_divergence_needs() -> None:
    still_diverges = contains("%fs xfs blocksize=1k", "fsync")
    shrunk = Shrinker(CASE, still_diverges).run()
    assert shrunk == "%title shrink me\n%kernel mainline\n%fs xfs blocksize=1k\nfsync\n"


def test_drops_options_and_makes_numbers_small() -> None:
    def big_pwrite(text: str) -> bool:
        return any(
            line.startswith("pwrite") and line.split()[-1] in ("4k", "8k", "16k", "32k", "64k")
            for line in text.splitlines()
        )

    shrunk = Shrinker(CASE, big_pwrite).run()
    assert shrunk.splitlines()[3:] == ["pwrite 0 4k"]


def test_cuts_after_the_first_divergence_in_one_try() -> None:
    asked: list[str] = []

    def after_truncate(text: str) -> bool:
        asked.append(text)
        return "truncate 8k" in text

    shrinker = Shrinker(CASE, after_truncate, first_line=9)  # line 9: truncate (blank line 7)
    shrinker.run()
    assert asked[0].splitlines()[-1] == "truncate 8k"
    assert "reflink" not in asked[0]


def test_asks_about_each_candidate_once_and_never_empties_the_case() -> None:
    asked: list[str] = []

    def always(text: str) -> bool:
        asked.append(text)
        return True

    shrinker = Shrinker(CASE, always)
    shrunk = shrinker.run()
    assert len(asked) == len(set(asked)) == shrinker.tries
    assert len(shrunk.splitlines()) == 4  # the header and one command


def test_a_case_that_stops_diverging_is_left_alone() -> None:
    shrinker = Shrinker(CASE, lambda text: text == CASE.replace("\n\n", "\n"))
    assert shrinker.run() == CASE.replace("\n\n", "\n")


def test_simpler_numbers_are_smaller_and_smallest_first() -> None:
    assert simpler_numbers("10000") == ["0", "1k", "4k", "8k", "5000"]
    assert simpler_numbers("2m") == ["0", "1k", "4k", "8k", "16k", "64k", "1m"]
    assert simpler_numbers("0") == []
    assert simpler_numbers("0x61") == simpler_numbers("a") == []
