"""Run a command line of ours (``growthsim ...``, ``python -m experiments.NAME ...``, ``python -c ...``) in a
fresh process that does not pay for the imports again.

A whole ``growthsim`` process spends most of a small run importing (Mesa, Hydra, pandas, matplotlib:
docs/benchmark.md). The suite runs a few hundred of them, so it forks each one from a server process that
imported those modules once (multiprocessing's ``forkserver`` with a preload). What runs in the fork is the
same entry point the installed command calls (``sim.app.cli:main``, ``runpy`` for ``-m``, ``exec`` for
``-c``) with the command's argv, working folder and environment; its exit status and output come back as a
``subprocess.CompletedProcess``. What the interpreter reads at its start (``PYTHONPATH``) is the server's: a test
that needs its own runs a real process. The installed scripts themselves are run as real processes by
tests/test_cli.py, and signals (ctrl-c) by tests/test_launcher.py and tests/test_resume.py.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# (importable from site-packages: the server's sys.path is the interpreter's own, without tests/)
PRELOAD = ["sim.app.cli", "experiments.runner", "matplotlib.figure", "matplotlib.backends.backend_agg", "scipy.stats"]
BIN = Path(sys.executable).parent
_context = None


def _forkserver():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _main(argv: list[str], cwd: str, env: dict, out: str, err: str) -> None:
    """In the fork: become the process the command line would start and run it. Its exit status is the
    fork's: ``SystemExit`` as Python's own exit gives it, a traceback and 1 for an uncaught exception
    (multiprocessing's ``Process._bootstrap``); the ``atexit`` functions run as at a process's end."""
    import atexit
    import runpy

    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, out), (2, err)):
        os.dup2(os.open(path, os.O_WRONLY), fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    try:
        if Path(argv[0]).name == "growthsim":
            sys.argv = list(argv)
            from sim.app.cli import main
            main()
        elif argv[1] == "-m":
            sys.argv = [argv[2], *argv[3:]]
            runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
        elif argv[1] == "-c":
            sys.argv = ["-c", *argv[3:]]
            exec(compile(argv[2], "<string>", "exec"), {"__name__": "__main__"})
        else:
            raise ValueError(f"not a command tests/forked.py runs: {argv}")
    finally:
        atexit._run_exitfuncs()


def run(argv: list, cwd: Path | str | None = None, env: dict | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    """``subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)`` for our
    own command lines, forked from the preloaded server (see the module's docstring)."""
    env = dict(os.environ if env is None else env)
    cwd = os.getcwd() if cwd is None else cwd
    with tempfile.TemporaryDirectory() as tmp:
        out, err = Path(tmp, "out"), Path(tmp, "err")
        out.touch()
        err.touch()
        proc = _forkserver().Process(target=_main, args=(list(map(str, argv)), str(cwd), env, str(out), str(err)))
        proc.start()
        proc.join(timeout)
        if proc.exitcode is None:
            proc.kill()
            proc.join()
            raise subprocess.TimeoutExpired(argv, timeout, out.read_text(), err.read_text())
        return subprocess.CompletedProcess(argv, proc.exitcode, out.read_text(errors="replace"),
                                           err.read_text(errors="replace"))
