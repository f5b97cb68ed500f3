"""This checkout against another commit, side by side in the same run: is a change faster or slower?

    python -m experiments.bench_versions --ref HEAD~3            # default workloads, 7 alternating repeats
    python -m experiments.bench_versions --ref 3f8bca5 --repeats 3 --quick

The reference commit is checked out into a temporary git worktree. Each repeat runs every
workload once in a fresh process per version, alternating versions, and times ``simulate``
(set-up, the days and the summary; not the imports, which a one-day run of the same config makes
first, or the config composition). Reports the
median seconds per version and their ratio (reference / this: above 1 means this checkout is
faster). Writes ``versions.md`` and ``versions.json`` in ``--out`` (default ``outputs/bench``).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# name -> overrides; every key exists in both versions' configs
WORKLOADS = {
    "default 200k x 60": ["population.size=200000", "days=60"],
    "fitted case 20k x 84, 10k members, split": ["+fitted=behavior", "population.seeding=random",
                                                 "population.size=20000", "population.initial_members=10000",
                                                 "days=84", "groups=split", "operations=rfm"],
    "cascade 20k": ["reduction=cascade", "population.size=20000", "days=60"],
}
QUICK = {"default 2k x 30": ["population.size=2000", "days=30"]}

WORKER = """
import sys, time, json
from sim import load_config, simulate
overrides = json.loads(sys.argv[1]) + ["progress=false"]
simulate(load_config(overrides + ["days=1"]))  # imports every module the run needs, in either version
cfg = load_config(overrides)
t = time.perf_counter(); simulate(cfg); print(time.perf_counter() - t)
"""


def time_once(tree: Path, overrides: list[str]) -> float:
    out = subprocess.run([sys.executable, "-c", WORKER, json.dumps(overrides)], cwd=tree, capture_output=True,
                         text=True, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    if out.returncode:
        raise SystemExit(f"{tree}: {' '.join(overrides)} failed:\n{out.stderr[-2000:]}")
    return float(out.stdout.split()[-1])


@contextlib.contextmanager
def worktree(ref: str):
    """The commit ``ref`` checked out in a temporary git worktree (removed after)."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "ref"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), ref], check=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m experiments.bench_versions", description=__doc__.split("\n")[0])
    ap.add_argument("--ref", required=True, help="the reference commit (any git revision)")
    ap.add_argument("--repeats", type=int, default=None, help="alternating repeats (default 7; 1 with --quick)")
    ap.add_argument("--quick", action="store_true", help="one tiny workload (smoke check)")
    ap.add_argument("--out", default="outputs/bench")
    args = ap.parse_args(argv)
    workloads = QUICK if args.quick else WORKLOADS
    args.repeats = args.repeats or (1 if args.quick else 7)
    with worktree(args.ref) as ref:
        trees = {"reference": ref, "this": REPO}
        times = {(w, v): [] for w in workloads for v in trees}
        for _ in range(args.repeats):
            for w, overrides in workloads.items():
                for v, tree in trees.items():
                    times[(w, v)].append(time_once(tree, overrides))
    rows = ["| workload | reference: median (min) s | this: median (min) s | reference / this (medians) |",
            "|---|---|---|---|"]
    result = {}
    for w in workloads:
        r, t = statistics.median(times[(w, "reference")]), statistics.median(times[(w, "this")])
        result[w] = {"reference": times[(w, "reference")], "this": times[(w, "this")]}
        rows.append(f"| {w} | {r:.3f} ({min(times[(w, 'reference')]):.3f}) | {t:.3f} ({min(times[(w, 'this')]):.3f}) "
                    f"| {r / t:.2f} |")
    text = (f"Reference `{args.ref}` against this checkout, {args.repeats} alternating repeats, "
            f"{time.strftime('%Y-%m-%d')}.\n\n" + "\n".join(rows) + "\n")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "versions.md").write_text(text)
    (out / "versions.json").write_text(json.dumps({"ref": args.ref, "times": {k: v for k, v in result.items()}},
                                                  indent=1))
    print(text)


if __name__ == "__main__":
    main()
