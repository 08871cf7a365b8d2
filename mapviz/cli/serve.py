"""``mapviz serve [SCENARIO]``: the views as a live Bokeh server app with a command box."""

from __future__ import annotations

import argparse
import errno
import sys

from mapviz.errors import MapvizError
from mapviz.render import THEME_NAMES

DEFAULT_SCENARIO = "tour"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the animated views in a browser, with a box to type commands live",
        description="Serve a scenario (a file or a bundled name; default: tour) as a Bokeh "
        "app at http://HOST:PORT/. Binds 127.0.0.1 unless --host says otherwise. "
        "Ctrl-C stops it.",
    )
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, metavar="SCENARIO")
    parser.add_argument("--port", type=int, default=5006, help="TCP port (default 5006)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; 0.0.0.0 for every interface)",
    )
    parser.add_argument("--theme", choices=THEME_NAMES, default="light")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        raise MapvizError(f"mapviz serve: --port must be 1..65535, not {args.port}")
    from mapviz.frontends.server import serve

    try:
        server = serve(args.scenario, port=args.port, host=args.host, theme=args.theme)
    except OSError as error:
        why = "in use" if error.errno == errno.EADDRINUSE else (error.strerror or str(error))
        raise MapvizError(
            f"mapviz serve: cannot listen on {args.host}:{args.port}: {why}"
        ) from None
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"mapviz serve: http://{host}:{args.port}/  (Ctrl-C stops)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("mapviz serve: warning: reachable from other machines", file=sys.stderr)
    server.io_loop.start()
    return 0
