"""``mapviz export SCENARIO -o OUT.html``: the animated views as one offline file.

The page carries BokehJS inline and plays the scenario with no network and no
Python.  ``--svg DIR`` / ``--png DIR`` also (or instead) write one image per
step; ``--gif`` / ``--webp`` / ``--apng`` / ``--mp4 FILE`` one animated image
of every step for a talk's slide (``--size``, 1920x1080 by default).  An
existing output file is never overwritten without ``--force``, and a file is
written whole or not at all (temp file + rename).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mapviz.cli.output import check_target, write_atomic
from mapviz.cli.progress import TerminalProgress
from mapviz.errors import MapvizError
from mapviz.render import THEME_NAMES
from mapviz.scenario import KERNEL_MODELS, load_scenario

if TYPE_CHECKING:
    from mapviz.view import View


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the animated views as one offline HTML file (and/or SVG/PNG per step)",
        description="Export a scenario (a file, or a bundled name: see `mapviz scenarios`) -- or "
        "a saved run, RUN.json from `mapviz run --json` (with or without --changes) or "
        "`mapviz run --real --json` -- as "
        "a self-contained HTML page that plays it with no network, as images per step, or as "
        "one animated image for a slide. Exit status: 0 written, "
        "2 bad input.",
    )
    parser.add_argument("scenario", metavar="SCENARIO|RUN.json")
    parser.add_argument("-o", "--output", metavar="OUT.html", help="the HTML file to write")
    parser.add_argument("--kernel", choices=KERNEL_MODELS, help="override the scenario's %%kernel")
    parser.add_argument(
        "--theme",
        choices=THEME_NAMES,
        default="light",
        help="light (default), dark, or talk (large type for a projector)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite output files that exist")
    parser.add_argument("--svg", metavar="DIR", help="also write step-NNN.svg, one per step")
    parser.add_argument("--png", metavar="DIR", help="also write step-NNN.png, one per step")
    for fmt, suffix, what in ANIMATED:
        parser.add_argument(
            f"--{fmt}",
            metavar=f"OUT.{suffix}",
            help=f"also write every step, animated, as one {what} for a slide",
        )
    parser.add_argument(
        "--size",
        metavar="WxH",
        type=_size,
        help="the animated image's size: 1920x1080 (default), 1280x720 or another 16:9 size",
    )
    parser.set_defaults(handler=run)


# (option, file suffix, what it writes); mp4 needs the video extra (imageio-ffmpeg).
ANIMATED = (
    ("gif", "gif", "GIF"),
    ("webp", "webp", "lossless WebP"),
    ("apng", "png", "APNG"),
    ("mp4", "mp4", "MP4 video (pip install 'mapviz[video]')"),
)


def _size(text: str) -> tuple[int, int]:
    from mapviz.render.animation import parse_size

    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    animated = {fmt: Path(getattr(args, fmt)) for fmt, _, _ in ANIMATED if getattr(args, fmt)}
    if not (args.output or args.svg or args.png or animated):
        raise MapvizError(
            "mapviz export: nothing to write: give -o OUT.html, --svg DIR, --png DIR, "
            "--gif OUT.gif, --webp OUT.webp, --apng OUT.png or --mp4 OUT.mp4"
        )
    if args.size is not None and not animated:
        raise MapvizError(
            "mapviz export: --size is the size of an animated image: "
            "give --gif, --webp, --apng or --mp4 too"
        )
    output = Path(args.output) if args.output else None
    _distinct({"-o": output, **{f"--{fmt}": path for fmt, path in animated.items()}})
    for path in ([output] if output is not None else []) + list(animated.values()):
        check_target(path, force=args.force, command="mapviz export")
    if "mp4" in animated:
        from mapviz.render.animation import VIDEO_MISSING, video_missing

        if video_missing():
            raise MapvizError(f"mapviz export: --mp4: {VIDEO_MISSING}")
    progress = TerminalProgress("mapviz export")
    warnings: list[str] = []
    try:
        if args.scenario.endswith(".json"):
            view, name, text = _saved_run(args.scenario), Path(args.scenario).stem, ""
        else:
            scenario = load_scenario(args.scenario)
            # Imported here: `mapviz run` and friends should not pay for Bokeh.
            from mapviz.view import Storyboard

            board = Storyboard.from_scenario(scenario, args.kernel, progress=progress)
            view, name, text = board.view(progress), scenario.name, scenario.text
            warnings = [
                f"mapviz export: warning: {scenario.source}:{step.line}: expected "
                f"{step.expect}, got {step.result} (`{step.command}`)"
                for step in board.sim.failures
            ]
        page = None
        if output is not None:
            from mapviz.render.html import standalone_html

            page = standalone_html(view, args.theme, name=name, source_text=text).encode("utf-8")
    finally:
        progress.close()
    for warning in warnings:
        print(warning, file=sys.stderr)
    if output is not None and page is not None:
        write_atomic(output, page, force=args.force, command="mapviz export")
        print(f"wrote {output} ({len(page) / 1e6:.1f} MB)")
    for option, writer in (("svg", "write_svgs"), ("png", "write_pngs")):
        directory = getattr(args, option)
        if directory:
            paths = _images(writer, view, directory, args.theme)
            print(f"wrote {len(paths)} {option.upper()} files to {directory}")
    if animated:
        _animations(view, animated, args.theme, args.size, force=args.force)
    return 0


def _distinct(paths: dict[str, Path | None]) -> None:
    """Two options naming one file would have the second overwrite the first."""
    seen: dict[Path, str] = {}
    for option, path in paths.items():
        if path is None:
            continue
        key = path.resolve()
        if key in seen:
            raise MapvizError(f"mapviz export: {seen[key]} and {option} both name {path}")
        seen[key] = option


def _animations(
    view: View, paths: dict[str, Path], theme: str, size: tuple[int, int] | None, *, force: bool
) -> None:
    from mapviz.render.animation import DEFAULT_SIZE, encode, paint_reel

    progress = TerminalProgress("mapviz export")
    try:
        reel = paint_reel(view, theme, size or DEFAULT_SIZE, progress)
        encoded = {}
        for done, (fmt, path) in enumerate(paths.items()):
            progress(f"encoding {fmt.upper()}", done, len(paths))
            encoded[path] = encode(reel, fmt)
    finally:
        progress.close()
    width, height = reel.size
    for path, data in encoded.items():
        write_atomic(path, data, force=force, command="mapviz export")
        print(
            f"wrote {path} ({len(data) / 1e6:.1f} MB, {len(reel.frames)} frames "
            f"of {len(view.frames) - 1} steps, {width}x{height})"
        )


def _saved_run(path: str) -> View:
    """A saved ``mapviz run --json`` (or ``--real --json``) document's view."""
    from mapviz.view.recording import view_of_run

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise MapvizError(f"mapviz export: {path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MapvizError(f"mapviz export: {path}: not JSON ({error})") from None
    if not isinstance(document, dict):
        raise MapvizError(f"mapviz export: {path}: not a mapviz run --json document")
    return view_of_run(document, path)


def _images(writer: str, view: object, directory: str, theme: str) -> list[Path]:
    try:
        from mapviz.render import images
    except ImportError as error:  # pragma: no cover - only while images.py is missing
        raise MapvizError(f"mapviz export: image export is not available ({error})") from None
    try:
        paths: list[Path] = getattr(images, writer)(view, directory, theme)
    except OSError as error:
        raise MapvizError(
            f"mapviz export: cannot write to {directory}: {error.strerror or error}"
        ) from None
    return paths
