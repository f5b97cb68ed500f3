"""Every command shown in README.md and docs/ runs, at a small size, so docs and code cannot drift.

Commands come from the fenced code blocks of the docs: shell lines that start with ``growthsim``,
``python`` or ``.venv/bin/...`` (of ``a && b && c`` the last part, what the user came for), and the
``python`` blocks. Each runs in a fresh working folder laid out like a checkout (``../shared`` is
there), and must exit 0. "At a small size" means only these changes, the same for every command:

- a run or sweep: ``population.size=300 days=5`` appended (a graph read from a file keeps its
  size), and a sweep's ``range(N)`` becomes ``range(2)``;
- an experiment: ``experiment.seeds=2 population.size=300 days=5``; the cases: fast mode, one seed;
  a calibration: fast mode, one seed, two trials, no polishing; every experiment on one worker
  (the pool's start-up would outweigh such small runs; tests/test_experiments.py runs the pool);
- ``python -m experiments.NAME``: ``--quick`` and an ``--out`` in the working folder;
- a python block: ``sweep-<hash>`` becomes the sweep an earlier command of the same page made.

Commands that cannot run here are listed in ``NOT_RUN`` with the reason and the test that covers
them instead; an entry that no longer matches a command in the docs fails, so the list cannot go stale.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent

NOT_RUN = {  # command (as in the docs) -> why it is not run here, and what tests it instead
    ".venv/bin/python -m pytest": "the test suite itself (.ci/run runs this very line)",
    "pytest tests/test_cases.py": "part of the test suite itself",
    "growthsim -m": "a name in the text, not a command",
    "growthsim -m key=a,b other=c,d": "the shape of a sweep, not a command",
}
PLACEHOLDERS = re.compile(r"\b(NAME|HEAD|PARTITION)\b|\.\.\.")  # a value the user fills in
PLACEHOLDER_REASON = ("shows a value the user fills in (a name, a cluster's address, a SLURM partition): "
                      "every experiment runs here under its own name, and the cluster launchers run in "
                      "tests/test_ray.py (a real two-node Ray cluster) and tests/test_launcher.py (submitit's "
                      "local executor)")
EXPERIMENT_SIZES = {
    "cases": ["experiment.fast=true", "experiment.seeds=1", "experiment.workers=1"],
    "calibrate": ["experiment.fast=true", "experiment.seeds=1", "experiment.trials=2", "experiment.timeout=60",
                  "experiment.polish_trials=0", "experiment.round_trials=2", "experiment.workers=1"],
}
EXPERIMENT_SIZE = ["experiment.seeds=2", "population.size=300", "days=5", "experiment.workers=1"]


def blocks(page: Path):
    """(first line number, language, text) of every fenced code block of a markdown page."""
    lines = page.read_text().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^\s*```(\w*)\s*$", lines[i])
        if m:
            start, lang, body = i + 1, m.group(1), []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            yield start + 1, lang, "\n".join(body)
        i += 1


def shell_commands(text: str):
    """(offset, command) of the shell commands of a block: continuation lines joined, comments cut."""
    joined, offset, buf = [], 0, ""
    for k, line in enumerate(text.splitlines()):
        if not buf:
            offset = k
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        joined.append((offset, buf + line))
        buf = ""
    for k, line in joined:
        words = shlex.split(line, comments=True)
        if not words:
            continue
        command = " ".join(shlex.quote(w) if w != "&&" else w for w in words).split(" && ")[-1]
        first = shlex.split(command)[0]
        if first in ("growthsim", "python", "python3.12", "pytest") or first.startswith(".venv/bin/"):
            yield k, command


INLINE = re.compile(r"`((?:growthsim|python -m experiments\.)[^`]*)`")


def documented():
    """Every command of the docs, once: (page:line, kind, text), in page order; code blocks, then the
    commands quoted inline in the text (``growthsim ...``, ``python -m experiments....``)."""
    found, seen = [], set()
    for page in PAGES:
        name = page.relative_to(REPO)
        fenced = set()
        for line, lang, text in blocks(page):
            fenced.update(range(line, line + text.count("\n") + 1))
            if lang == "python":
                found.append((f"{name}:{line}", "python", text))
            elif lang in ("", "sh", "bash", "shell"):
                for k, command in shell_commands(text):
                    if command not in seen:
                        found.append((f"{name}:{line + k}", "shell", command))
                        seen.add(command)
        for n, text in enumerate(page.read_text().splitlines(), 1):
            for m in INLINE.finditer(text) if n not in fenced else ():
                for _, command in shell_commands(m.group(1)):
                    if command not in seen:
                        found.append((f"{name}:{n}", "shell", command))
                        seen.add(command)
    return found


def small(command: str, out: Path) -> list[str]:
    """The command as argv, at a small size (the rules in the module docstring)."""
    words = shlex.split(command)
    prog = Path(words[0]).name
    if prog in ("python", "python3.12"):
        assert words[1] == "-m" and words[2].startswith("experiments."), f"unexpected command: {command}"
        module = words[2].removeprefix("experiments.")
        if module in EXPERIMENT_SIZES:  # the drivers, run without the CLI: Hydra overrides, not flags
            return [sys.executable, *words[1:], *EXPERIMENT_SIZES[module]]
        return [sys.executable, *words[1:], "--quick", "--out", str(out)]
    assert prog == "growthsim", f"unexpected command: {command}"
    args = [re.sub(r"range\(\d+\)", "range(2)", a) for a in words[1:]]
    experiment = next((a.split("=", 1)[1] for a in args if a.startswith("experiment=")), None)
    if experiment is None:
        args += ["population.size=300", "days=5"]
    else:
        args += EXPERIMENT_SIZES.get(experiment, EXPERIMENT_SIZE)
    return [str(BIN / "growthsim"), *args]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A working folder laid out like the repository's: ``../shared`` is there."""
    root = tmp_path_factory.mktemp("docs")
    (root / "shared").symlink_to(REPO.parent / "shared")
    (root / "work").mkdir()
    return root / "work"


def _run(argv, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": str(REPO)}
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


COMMANDS = documented()


def test_the_docs_show_commands_and_every_exemption_is_still_in_them():
    shown = {text for _, kind, text in COMMANDS if kind == "shell"}
    assert len(COMMANDS) > 30, COMMANDS
    assert set(NOT_RUN) <= shown, f"NOT_RUN lists commands no page shows any more: {set(NOT_RUN) - shown}"


@pytest.mark.parametrize("where,kind,text", COMMANDS, ids=[w for w, _, _ in COMMANDS])
def test_documented_command_runs(checkout, where, kind, text):
    if kind == "shell" and (text in NOT_RUN or PLACEHOLDERS.search(text)):
        pytest.skip(NOT_RUN.get(text, PLACEHOLDER_REASON))
    if kind == "python":
        sweeps = sorted((checkout / "outputs" / "sweeps").glob("sweep-*"), key=lambda p: p.stat().st_mtime)
        code = re.sub(r"sweep-[0-9a-f]{10}", sweeps[-1].name, text) if sweeps else text
        argv = [sys.executable, "-c", code]
    else:
        argv = small(text, checkout / "bench_out")
    done = _run(argv, checkout)
    assert done.returncode == 0, f"{where}: {' '.join(argv)}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr
