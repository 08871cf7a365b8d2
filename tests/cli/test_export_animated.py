"""``mapviz export NAME --gif/--webp/--apng/--mp4 FILE [--size WxH]``: animated slides."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from PIL import Image

from mapviz.cli import main
from mapviz.render import animation

SMALL = "einval-anonymous"  # four steps: quick to paint


def test_writes_every_format_at_the_size_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gif, webp, apng = tmp_path / "s.gif", tmp_path / "s.webp", tmp_path / "s.png"
    argv = ["export", SMALL, "--gif", str(gif), "--webp", str(webp), "--apng", str(apng)]
    assert main([*argv, "--size", "1280x720", "--theme", "dark"]) == 0
    for path, kind in ((gif, "GIF"), (webp, "WEBP"), (apng, "PNG")):
        with Image.open(path) as image:
            assert image.format == kind
            assert image.size == (1280, 720)
            assert image.n_frames >= 5  # the start and four steps
            assert getattr(image, "is_animated", False)
    out = capsys.readouterr().out
    assert out.count("wrote") == 3 and "of 4 steps, 1280x720" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.gif", "s.png", "s.webp"]


def test_default_size_is_1920x1080(tmp_path: Path) -> None:
    out = tmp_path / "s.gif"
    assert main(["export", SMALL, "--gif", str(out)]) == 0
    with Image.open(out) as image:
        assert image.size == (1920, 1080)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--gif", "x.gif", "--size", "big"], "argument --size: 'big' is not WIDTHxHEIGHT"),
        (["--gif", "x.gif", "--size", "1920x1200"], "not 16:9"),
        (["-o", "x.html", "--size", "1280x720"], "--size is the size of an animated image"),
        (["--gif", "x.gif", "--webp", "x.gif"], "--gif and --webp both name x.gif"),
        (["-o", "same", "--apng", "./same"], "-o and --apng both name same"),
        (["--gif", "missing-dir/x.gif"], "no such directory: missing-dir"),
        (["--webp", "."], "is a directory"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    words: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", SMALL, *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_kept_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "talk.gif"
    out.write_bytes(b"mine")
    assert main(["export", SMALL, "--gif", str(out)]) == 2
    assert "exists (use --force" in capsys.readouterr().err
    assert out.read_bytes() == b"mine"
    assert main(["export", SMALL, "--gif", str(out), "--force", "--size", "1280x720"]) == 0
    assert out.read_bytes()[:6] == b"GIF89a"


def test_an_unwritable_place_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # /proc takes no new files, even from root.
    assert main(["export", SMALL, "--webp", "/proc/mapviz-test.webp", "--size", "640x360"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mapviz export: cannot write to /proc") and err.count("\n") == 1


def test_mp4_without_the_video_extra_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(animation, "video_missing", lambda: True)
    out = tmp_path / "s.mp4"
    assert main(["export", SMALL, "--mp4", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"mapviz export: --mp4: {animation.VIDEO_MISSING}\n"
    assert "pip install 'mapviz[video]'" in err
    assert not out.exists()


@pytest.mark.skipif(
    importlib.util.find_spec("imageio_ffmpeg") is None, reason="needs mapviz[video]"
)
def test_mp4_plays_every_key_frame_for_its_time(tmp_path: Path) -> None:
    import imageio_ffmpeg

    out = tmp_path / "s.mp4"
    assert main(["export", SMALL, "--mp4", str(out), "--size", "640x360"]) == 0
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(out))
    from mapviz.render.keyframes import key_frames
    from mapviz.scenario import load_scenario
    from mapviz.view import Storyboard

    keys = key_frames(Storyboard.from_scenario(load_scenario(SMALL)).view())
    total = sum(key.ms for key in keys) / 1000
    assert frames == round(total * animation.MP4_FPS)
    assert abs(seconds - total) < 0.2
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert tuple(meta["size"]) == (640, 360)
    reader.close()
