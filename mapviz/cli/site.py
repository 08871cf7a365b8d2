"""``mapviz site OUT/``: the static site -- the gallery and the in-browser playground.

See :mod:`mapviz.site.build` for what it writes and docs/PLAYGROUND.md for the
playground and its links.  Serve it from any static host (GitHub Pages: the
README says how) or locally: ``python -m http.server -d OUT/``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "site",
        help="write a static site: a gallery of the scenarios and a playground running in Pyodide",
        description="Write a static site into OUT/: a gallery of every bundled scenario and a "
        "playground that runs the simulator in the visitor's browser (Pyodide, in a Web "
        "Worker), with shareable links (docs/PLAYGROUND.md). Exit status: 0 written, "
        "2 bad input.",
    )
    parser.add_argument("out", metavar="OUT/", help="the directory to write (new or empty)")
    parser.add_argument(
        "--pyodide",
        metavar="DIR",
        help="copy this Pyodide distribution into the site, for fully offline use (a directory "
        "with pyodide.js, or the tarball of `npm pack pyodide@VERSION`); default: load the "
        "pinned Pyodide from jsDelivr",
    )
    parser.add_argument("--force", action="store_true", help="write into a non-empty OUT/")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mapviz.site.build import build_site  # Bokeh: only when a site is written

    site = build_site(
        Path(args.out), pyodide=Path(args.pyodide) if args.pyodide else None, force=args.force
    )
    print(
        f"wrote {site.root}/ ({site.pages} gallery pages, playground play.html, "
        f"{site.size() / 1e6:.1f} MB; Pyodide from {site.pyodide})"
    )
    print(f"try it: python -m http.server -d {site.root} 8000  ->  http://127.0.0.1:8000/")
    return 0
