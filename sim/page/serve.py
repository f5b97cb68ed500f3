"""``growthsim-app``: serve the what-if page (sim/page/app.py) on this machine.

It binds to 127.0.0.1 unless ``--host`` says otherwise, offers as graphs only the edge-list files of the
folder named by ``--graphs``, and writes only under ``--out``. Needs the ``app`` extra (solara)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="growthsim-app", description="Serve the what-if page (docs/app.md).")
    p.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 exposes the page)")
    p.add_argument("--graphs", type=Path, default=None,
                   help="folder whose edge-list files the page offers as graphs (default: generators only)")
    p.add_argument("--out", type=Path, default=Path("outputs/app"),
                   help="folder the page writes each finished comparison to (default outputs/app)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(sys.argv[1:] if argv is None else argv)
    if not 0 <= args.port <= 65535:
        sys.exit(f"growthsim-app: error: --port {args.port} is not a port: give 0..65535")
    if args.graphs is not None and not args.graphs.is_dir():
        print(f"growthsim-app: error: --graphs '{args.graphs}' is not a folder: name a folder of edge-list files",
              file=sys.stderr)
        sys.exit(2)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        print(f"growthsim-app: error: cannot make the output folder '{args.out}' ({err.strerror}): choose another "
              "with --out DIR", file=sys.stderr)
        sys.exit(2)
    try:
        from solara.__main__ import main as solara_main
    except ImportError:
        print("growthsim-app: error: the page needs the app extra: pip install -e '.[app]'", file=sys.stderr)
        sys.exit(2)
    os.environ["GROWTHSIM_APP_OUT"] = str(args.out.resolve())
    if args.graphs is not None:
        os.environ["GROWTHSIM_APP_GRAPHS"] = str(args.graphs.resolve())
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # the page calls no one
    sys.argv = ["solara", "run", "sim.page.app", "--host", args.host, "--port", str(args.port), "--production",
                "--no-open", "--no-check-version", "--log-level", "warning"]
    solara_main()


if __name__ == "__main__":
    main()
