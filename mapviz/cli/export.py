"""``mapviz export SCENARIO -o OUT.html``: the animated views as one offline file.

The page carries BokehJS inline and plays the scenario with no network and no
Python.  ``--svg DIR`` / ``--png DIR`` also (or instead) write one image per
step.  An existing output file is never overwritten without ``--force``, and
a file is written whole or not at all (temp file + rename).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from mapviz.errors import MapvizError
from mapviz.render.theme import THEMES
from mapviz.scenario import KERNEL_MODELS, load_scenario


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the animated views as one offline HTML file (and/or SVG/PNG per step)",
        description="Export a scenario (a file, or a bundled name: see `mapviz scenarios`) as "
        "a self-contained HTML page that plays it with no network. Exit status: 0 written, "
        "2 bad input.",
    )
    parser.add_argument("scenario", metavar="SCENARIO")
    parser.add_argument("-o", "--output", metavar="OUT.html", help="the HTML file to write")
    parser.add_argument("--kernel", choices=KERNEL_MODELS, help="override the scenario's %%kernel")
    parser.add_argument("--theme", choices=sorted(THEMES), default="light",
                        help="light (default), dark, or talk (large type for a projector)")
    parser.add_argument("--force", action="store_true", help="overwrite OUT.html if it exists")
    parser.add_argument("--svg", metavar="DIR", help="also write step-NNN.svg, one per step")
    parser.add_argument("--png", metavar="DIR", help="also write step-NNN.png, one per step")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not (args.output or args.svg or args.png):
        raise MapvizError("mapviz export: nothing to write: give -o OUT.html, --svg DIR or "
                          "--png DIR")
    output = Path(args.output) if args.output else None
    if output is not None:
        _check_target(output, force=args.force)
    scenario = load_scenario(args.scenario)
    # Imported here: `mapviz run` and friends should not pay for Bokeh.
    from mapviz.view import Storyboard

    board = Storyboard.from_scenario(scenario, args.kernel)
    view = board.view()
    for step in board.sim.failures:
        print(f"mapviz export: warning: {scenario.source}:{step.line}: expected {step.expect}, "
              f"got {step.result} (`{step.command}`)", file=sys.stderr)
    if output is not None:
        from mapviz.render.html import standalone_html

        page = standalone_html(view, args.theme, name=scenario.name, source_text=scenario.text)
        write_atomic(output, page.encode("utf-8"), force=args.force)
        print(f"wrote {output} ({len(page.encode('utf-8')) / 1e6:.1f} MB)")
    for option, writer in (("svg", "write_svgs"), ("png", "write_pngs")):
        directory = getattr(args, option)
        if directory:
            paths = _images(writer, view, directory, args.theme)
            print(f"wrote {len(paths)} {option.upper()} files to {directory}")
    return 0


def _images(writer: str, view: object, directory: str, theme: str) -> list[Path]:
    try:
        from mapviz.render import images
    except ImportError as error:  # pragma: no cover - only while images.py is missing
        raise MapvizError(f"mapviz export: image export is not available ({error})") from None
    try:
        paths: list[Path] = getattr(images, writer)(view, directory, theme)
    except OSError as error:
        raise MapvizError(f"mapviz export: cannot write to {directory}: "
                          f"{error.strerror or error}") from None
    return paths


def _check_target(path: Path, *, force: bool) -> None:
    """Refuse early (before simulating) what write_atomic would refuse anyway."""
    if path.is_dir():
        raise MapvizError(f"mapviz export: {path} is a directory")
    if not path.parent.is_dir() and str(path.parent) != "":
        raise MapvizError(f"mapviz export: no such directory: {path.parent}")
    if path.exists() and not force:
        raise MapvizError(f"mapviz export: {path} exists (use --force to overwrite it)")


def write_atomic(path: Path, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``path`` whole or not at all.

    The bytes go to a temp file in the same directory (so the rename cannot
    cross filesystems), are flushed to disk, and only then take ``path``'s
    name.  Without ``force`` the name is taken with a hard link, which fails
    if a file appeared there meanwhile, so nothing is ever overwritten.

    Raises
    ------
    MapvizError
        ``path`` exists (and not ``force``) or cannot be written.
    """
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise MapvizError(f"mapviz export: cannot write to {directory}: "
                          f"{error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temp, 0o666 & ~mask)  # mkstemp makes it 0600; give it a normal file's mode
        if force:
            os.replace(temp, path)
        else:
            _link_no_clobber(temp, path)
    except FileExistsError:
        raise MapvizError(f"mapviz export: {path} exists (use --force to overwrite it)") from None
    except OSError as error:
        raise MapvizError(f"mapviz export: cannot write {path}: {error.strerror or error}") \
            from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _link_no_clobber(temp: str, path: Path) -> None:
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError:
        # No hard links here (some FUSE and FAT filesystems): check, then rename.
        if path.exists():
            raise FileExistsError(path) from None
        os.replace(temp, path)
