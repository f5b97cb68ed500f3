"""One evaluation of every public case, this checkout against another commit, side by side.

    python -m experiments.bench_cases --ref 4a338c9              # 5 alternating repeats
    python -m experiments.bench_cases --ref 4a338c9 --repeats 1 --cases c02
    python -m experiments.bench_cases --ref HEAD --quick       # one repeat of case c09 (smoke check)

Two workloads, each in a fresh process per version, versions alternating:

- ``command``: the whole process of ``growthsim experiment=cases experiment.seeds=1 experiment.workers=1``
  (interpreter start, imports, composing every arm, the runs, the report and its figures), written to a
  temporary folder;
- ``evaluation``: in one process, after the imports, ``experiments.cases.evaluate`` of every case, one
  seed per arm (composing each arm and running it, no report), timed twice: the first evaluation in
  the process (``first``) and a second one with other behaviour values (``next``), as a calibration's
  trials follow each other.

Reports medians and the ratio reference / this (above 1: this checkout is faster). Writes ``cases.md``
and ``cases.json`` in ``--out`` (default ``outputs/bench``).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from experiments.bench_versions import REPO, worktree

EVALUATION = """
import sys, time, json
t0 = time.perf_counter()
from experiments.cases import evaluate, select_cases
cases = select_cases(json.loads(sys.argv[1]))
t1 = time.perf_counter()
evaluate(cases, [0])
t2 = time.perf_counter()
evaluate(cases, [0], extra=["behavior.participation=0.31", "behavior.invite_rate=0.07"])
t3 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "first": t2 - t1, "next": t3 - t2}))
"""


def env(tree: Path) -> dict:
    return {"PYTHONPATH": str(tree), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(Path.home())}


def command(tree: Path, cases: list[str]) -> float:
    """Seconds of the whole ``growthsim experiment=cases`` process, run from ``tree``."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "sim.app.cli", "experiment=cases", "experiment.seeds=1", "experiment.workers=1",
                f"experiment.out_dir={tmp}/cases", f"hydra.run.dir={tmp}/run", "progress=false"]
        if cases != ["all"]:
            argv.append(f"experiment.case=[{','.join(cases)}]")
        t = time.perf_counter()
        out = subprocess.run(argv, cwd=tmp, capture_output=True, text=True, env=env(tree))
        wall = time.perf_counter() - t
    if out.returncode:
        raise SystemExit(f"{tree}: growthsim experiment=cases failed:\n{out.stderr[-2000:]}")
    return wall


def evaluation(tree: Path, cases: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", EVALUATION, json.dumps(cases)], cwd=tree, capture_output=True,
                         text=True, env=env(tree))
    if out.returncode:
        raise SystemExit(f"{tree}: the evaluation failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m experiments.bench_cases", description=__doc__.split("\n")[0])
    ap.add_argument("--ref", required=True, help="the reference commit (any git revision)")
    ap.add_argument("--repeats", type=int, default=5, help="alternating repeats")
    ap.add_argument("--cases", nargs="+", default=["all"], help="case names (default: all)")
    ap.add_argument("--quick", action="store_true", help="one repeat of case c09 (smoke check)")
    ap.add_argument("--out", default="outputs/bench")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.cases = 1, ["c09"]
    times: dict[str, dict[str, list[float]]] = {}
    with worktree(args.ref) as ref:
        trees = {"reference": ref, "this": REPO}
        for i in range(args.repeats):
            for v, tree in (trees.items() if i % 2 == 0 else reversed(trees.items())):
                times.setdefault("command", {}).setdefault(v, []).append(command(tree, args.cases))
                for k, s in evaluation(tree, args.cases).items():
                    times.setdefault(f"evaluation: {k}", {}).setdefault(v, []).append(s)
    rows = ["| workload | reference: median (min) s | this: median (min) s | reference / this (medians) |",
            "|---|---|---|---|"]
    for w, by in times.items():
        r, t = statistics.median(by["reference"]), statistics.median(by["this"])
        rows.append(f"| {w} | {r:.3f} ({min(by['reference']):.3f}) | {t:.3f} ({min(by['this']):.3f}) | {r / t:.2f} |")
    text = (f"Cases {' '.join(args.cases)}, one seed per arm: reference `{args.ref}` against this checkout, "
            f"{args.repeats} alternating repeats, {time.strftime('%Y-%m-%d')}.\n\n" + "\n".join(rows) + "\n")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cases.md").write_text(text)
    (out / "cases.json").write_text(json.dumps({"ref": args.ref, "cases": args.cases, "times": times}, indent=1))
    print(text)


if __name__ == "__main__":
    main()
