"""``growthsim-app``: serve the what-if page (sim/page/app.py) on this machine.

It binds to 127.0.0.1 unless ``--host`` says otherwise, offers as graphs only the edge-list files of the
folder named by ``--graphs``, and writes only under ``--out``. Needs the ``app`` extra (solara)."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
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


def refuse(message: str) -> None:
    """Bad input: the message on stderr and exit status 2, as the CLI does."""
    print(f"growthsim-app: error: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    args = parse(sys.argv[1:] if argv is None else argv)
    if not 0 <= args.port <= 65535:
        refuse(f"--port {args.port} is not a port: give 0..65535")
    if args.graphs is not None and not args.graphs.is_dir():
        refuse(f"--graphs '{args.graphs}' is not a folder: name a folder of edge-list files")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        refuse(f"cannot make the output folder '{args.out}' ({err.strerror}): choose another with --out DIR")
    try:
        from solara.__main__ import main as solara_main
    except ImportError:
        refuse("the page needs the app extra: pip install -e '.[app]'")
    os.environ["GROWTHSIM_APP_OUT"] = str(args.out.resolve())
    if args.graphs is not None:
        os.environ["GROWTHSIM_APP_GRAPHS"] = str(args.graphs.resolve())
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # the page calls no one
    sys.argv = ["solara", "run", "sim.page.app", "--host", args.host, "--port", str(args.port), "--production",
                "--no-open", "--no-check-version", "--log-level", "warning"]
    solara_main()


def free_port() -> int:
    """A port no one listens on now (for tests and scripts that start a page of their own)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(argv: list[str], wait: float = 30.0, **popen):
    """Run ``growthsim-app`` (``argv``, with its ``--port``) until the block ends; yields (url, seconds it
    took to answer). Raises RuntimeError, with its stderr, when it exits or does not answer in ``wait`` s."""
    url = f"http://127.0.0.1:{argv[argv.index('--port') + 1]}/"
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **popen)
    start = time.perf_counter()
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - start > wait:
                    proc.kill()
                    raise RuntimeError(f"{' '.join(argv)} did not answer at {url}: {proc.communicate()[1][-2000:]}")
                time.sleep(0.1)
        yield url, time.perf_counter() - start
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=20)


if __name__ == "__main__":
    main()
