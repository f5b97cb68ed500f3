"""Every command shown in README.md and docs/ runs, at a small size, so docs and code cannot drift.

Commands come from the fenced code blocks of the docs: shell lines that start with ``growthsim``,
``growthsim-app``, ``python``, ``ray`` or ``.venv/bin/...`` (of ``a && b && c`` the last part, what the user came for; the
same command once, whatever the order of its arguments), and the
``python`` blocks. Each runs in a fresh working folder laid out like a checkout (``../shared`` is
there), and must exit 0. "At a small size" means only these changes, the same for every command:

- a run or sweep: ``population.size=300 days=5`` appended (a graph read from a file keeps its
  size), and a sweep's ``range(N)`` becomes ``range(2)``;
- an experiment: ``experiment.seeds=2 population.size=300 days=5``; the cases: fast mode, one seed,
  one case (c09) unless the command names its cases; the facts: one seed, 500 people x 30 days, groups
  of 50 and 200; several communities: one replicate, 500 people x 20 days; the ensemble: 2 sets, both kept, no
  second seed, no Morris or Sobol' step; a fit: 4 sets, 2 kept, one more seed each; a forecast on a fitted community
  (``experiment.fitted``): two seeds, 5 days after the history; the optimizer: 3 trials on one seed, one
  finalist on two fresh seeds, 5 days after the history; a calibration: fast mode, one seed, one
  trial, no polishing (every case: its fit's name depends on them); every experiment on one worker
  (the pool's start-up would outweigh such small runs; tests/test_experiments.py runs the pool);
- ``python -m experiments.NAME``: ``--quick`` (in place of the size flags ``--repeats``, ``--runs``,
  ``--size``, ``--days``, ``--n``) and an ``--out`` in the working folder;
- a python block: ``sweep-<hash>`` becomes the sweep an earlier command of the same page made;
- ``growthsim-app``: served on a free port with ``--out`` in the working folder; it must answer within
  30 s, and is then stopped.

Each command runs in a process of its own forked from one that has imported our modules (tests/forked.py): the
same entry point and argv, without paying for the imports again.

Commands that cannot run here are listed in ``NOT_RUN`` with the reason and the test that covers
them instead; an entry that no longer matches a command in the docs fails, so the list cannot go stale.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

import forked
from sim.page.serve import free_port, serving

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent

NOT_RUN = {  # command (as in the docs) -> why it is not run here, and what tests it instead
    "python -m pytest": "the test suite itself (.ci/run runs this very line)",
    "pytest tests/test_cases.py": "part of the test suite itself",
    "growthsim -m": "a name in the text, not a command",
    "growthsim -m key=a,b other=c,d": "the shape of a sweep, not a command",
    "ray start --head --port=6379": "starts a cluster on the machine's default Ray port: tests/test_ray.py "
                                    "starts a head and a second node the same way, on ports of its own",
    "ray stop": "stops every Ray process of the machine: tests/test_ray.py stops its own cluster",
    "growthsim --config-dir DIR --config-name arm_B": "runs an arm's config downloaded from the page: "
                                                      "tests/test_page.py downloads one and runs it so",
}
PLACEHOLDERS = re.compile(r"\b(NAME|HEAD|PARTITION)\b|\.\.\.")  # a value the user fills in
PLACEHOLDER_REASON = ("shows a value the user fills in (a name, a cluster's address, a SLURM partition): "
                      "every experiment runs here under its own name, and the cluster launchers run in "
                      "tests/test_ray.py (a real two-node Ray cluster) and tests/test_launcher.py (submitit's "
                      "local executor)")
EXPERIMENT_SIZES = {
    "cases": ["experiment.fast=true", "experiment.seeds=1", "experiment.workers=1"],
    "facts": ["experiment.seeds=1", "experiment.size=500", "experiment.days=30", "experiment.group_sizes=[50,200]"],
    "communities": ["experiment.seeds=1", "population.size=500", "days=20"],
    "ensemble": ["experiment.morris=0", "experiment.sobol=0", "experiment.table=2", "experiment.accept=2",
                 "experiment.replicate=false", "experiment.workers=1"],
    "fit": ["experiment.table=4", "experiment.accept=2", "experiment.replicates=1", "experiment.workers=1"],
    "optimize": ["experiment.trials=3", "experiment.seeds=1", "experiment.finalists=1", "experiment.final_seeds=2",
                 "experiment.horizon=5", "experiment.workers=1"],
    "calibrate": ["experiment.fast=true", "experiment.seeds=1", "experiment.trials=1", "experiment.timeout=60",
                  "experiment.polish_trials=0", "experiment.round_trials=2", "experiment.workers=1"],
}
SIZE_FLAG = re.compile(r"--(repeats|runs|size|days|n)")  # the benchmarks' sizes: --quick sets them
ONE_CASE = "c09"  # the cases run one small case unless the command names its own
EXPERIMENT_SIZE = ["experiment.seeds=2", "population.size=300", "days=5", "experiment.workers=1"]
FORECAST_SIZE = ["experiment.seeds=2", "experiment.horizon=5", "experiment.workers=1"]  # the community is the fit's


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
        command = command.removeprefix(".venv/bin/")  # the installed command is the same one
        if shlex.split(command)[0] in ("growthsim", "growthsim-app", "python", "python3.12", "pytest", "ray"):
            yield k, command


INLINE = re.compile(r"`((?:growthsim|python -m experiments\.)[^`]*)`")


def _words(command: str) -> tuple[str, ...]:
    """A command's program and its arguments in any order: the same overrides in another order are the
    same run."""
    words = shlex.split(command)
    return (words[0], *sorted(words[1:]))


def documented():
    """Every command of the docs, once: (page:line, kind, text, block), in page order; code blocks,
    then the commands quoted inline in the text (``growthsim ...``, ``python -m experiments....``).
    ``block`` names the code block (page:line of its first line); an inline command is a block of its own."""
    found, seen = [], set()
    for page in PAGES:
        name = page.relative_to(REPO)
        fenced = set()
        for line, lang, text in blocks(page):
            fenced.update(range(line, line + text.count("\n") + 1))
            if lang == "python":
                found.append((f"{name}:{line}", "python", text, f"{name}:{line}"))
            elif lang in ("", "sh", "bash", "shell"):
                for k, command in shell_commands(text):
                    if _words(command) not in seen:
                        found.append((f"{name}:{line + k}", "shell", command, f"{name}:{line}"))
                        seen.add(_words(command))
        for n, text in enumerate(page.read_text().splitlines(), 1):
            for m in INLINE.finditer(text) if n not in fenced else ():
                for _, command in shell_commands(m.group(1)):
                    if _words(command) not in seen:
                        found.append((f"{name}:{n}", "shell", command, f"{name}:{n}"))
                        seen.add(_words(command))
    return found


def small(command: str, out: Path) -> list[str]:
    """The command as argv, at a small size (the rules in the module docstring)."""
    words = shlex.split(command)
    prog = Path(words[0]).name
    if prog in ("python", "python3.12"):
        assert words[1] == "-m" and words[2].startswith("experiments."), f"unexpected command: {command}"
        module = words[2].removeprefix("experiments.")
        if module in EXPERIMENT_SIZES:  # the drivers, run without the CLI: Hydra overrides, not flags
            return [sys.executable, *words[1:], *_experiment_size(module, words[3:])]
        flags = [w for i, w in enumerate(words[3:]) if not SIZE_FLAG.fullmatch(w)
                 and not (i and SIZE_FLAG.fullmatch(words[2 + i]))]  # a size flag and its value give way to --quick
        return [sys.executable, *words[1:3], *flags, "--quick", "--out", str(out)]
    if prog == "growthsim-app":  # a server: started on a free port, answered, stopped (_run)
        return [str(BIN / prog), *words[1:], "--port", str(free_port()), "--out", str(out)]
    assert prog == "growthsim", f"unexpected command: {command}"
    args = [re.sub(r"range\(\d+\)", "range(2)", a) for a in words[1:]]
    experiment = next((a.split("=", 1)[1] for a in args if a.startswith("experiment=")), None)
    small_args = ["population.size=300", "days=5"] if experiment is None else _experiment_size(experiment, args)
    return [str(BIN / "growthsim"), *args, *small_args]


def _serve(argv: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """Start the page's server, wait until it answers (at most 30 s), stop it: exit 0 if it answered."""
    try:
        with serving(argv, cwd=cwd, env=env):
            return subprocess.CompletedProcess(argv, 0, "", "")
    except RuntimeError as err:
        return subprocess.CompletedProcess(argv, 1, "", str(err))


def _experiment_size(experiment: str, args: list[str]) -> list[str]:
    """The overrides that make an experiment small (the rules in the module docstring)."""
    if experiment not in EXPERIMENT_SIZES:
        return FORECAST_SIZE if any(a.startswith("experiment.fitted=") for a in args) else EXPERIMENT_SIZE
    one_case = experiment == "cases" and not any(a.split("=")[0] in ("case", "experiment.case") for a in args)
    return [*EXPERIMENT_SIZES[experiment], *([f"case={ONE_CASE}"] if one_case else [])]


def _skip_reason(kind: str, text: str) -> str | None:
    if kind == "shell" and (text in NOT_RUN or PLACEHOLDERS.search(text)):
        return NOT_RUN.get(text, PLACEHOLDER_REASON)
    if "../shared" in text and not (REPO.parent / "shared").is_dir():
        return "reads ../shared (the workplace's data), which is not beside this checkout"
    return None


def _run(argv, cwd: Path, after: Future | None = None) -> tuple[list[str], subprocess.CompletedProcess]:
    """Run ``argv`` in ``cwd`` once ``after`` (the command before it in the same folder) is done."""
    if after is not None:
        after.result()
    if argv[:2] == [sys.executable, "-c"]:  # a python block: the sweep it reads is the one made in cwd
        sweeps = sorted((cwd / "outputs" / "sweeps").glob("sweep-*"), key=lambda p: p.stat().st_mtime)
        if sweeps:
            argv = [*argv[:2], re.sub(r"sweep-[0-9a-f]{10}", sweeps[-1].name, argv[2])]
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": str(REPO)}
    if Path(argv[0]).name == "growthsim-app":
        return argv, _serve(argv, cwd, env)
    return argv, forked.run(argv, cwd, env, timeout=300)


FOUND = documented()
COMMANDS = [(where, kind, text) for where, kind, text, _ in FOUND]


@pytest.fixture(scope="module")
def ran(request, tmp_path_factory):
    """The selected commands, two at a time (they mostly wait on imports and files). As a user would
    type them: the commands of one code block one after another in one working folder, laid out like
    a checkout (``../shared`` is there); a python block after the page's block before it, in its
    folder (it reads its outputs); everything else in a folder of its own."""
    selected = {item.callspec.params["where"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")}
    root = tmp_path_factory.mktemp("docs")
    (root / "shared").symlink_to(REPO.parent / "shared")
    futures: dict[str, Future] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        chain: dict[str, tuple[Path, Future | None]] = {}  # block (or page, for python blocks) -> folder, last command
        for n, (where, kind, text, block) in enumerate(FOUND):
            if where not in selected or _skip_reason(kind, text):
                continue
            page = where.split(":")[0]
            key = page if kind == "python" and page in chain else block
            if key not in chain:
                chain[key] = (root / f"work{n}", None)
                chain[key][0].mkdir()
                (chain[key][0] / "examples").symlink_to(REPO / "examples")  # the example data, as in a checkout
            cwd, after = chain[key]
            argv = [sys.executable, "-c", text] if kind == "python" else small(text, cwd / "bench_out")
            futures[where] = pool.submit(_run, argv, cwd, after)
            chain[key] = chain[block] = chain[page] = (cwd, futures[where])
        yield futures


def test_the_docs_show_commands_and_every_exemption_is_still_in_them():
    shown = {text for _, kind, text in COMMANDS if kind == "shell"}
    assert len(COMMANDS) > 30, COMMANDS
    assert set(NOT_RUN) <= shown, f"NOT_RUN lists commands no page shows any more: {set(NOT_RUN) - shown}"


@pytest.mark.parametrize("where,kind,text", COMMANDS, ids=[w for w, _, _ in COMMANDS])
def test_documented_command_runs(ran, where, kind, text):
    if reason := _skip_reason(kind, text):
        pytest.skip(reason)
    argv, done = ran[where].result()
    assert done.returncode == 0, f"{where}: {' '.join(argv)}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr
