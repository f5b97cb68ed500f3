"""Wall time of one sweep on the basic, processes and Ray launchers, side by side.

    python -m experiments.bench_launchers [--runs 8] [--size 20000] [--days 180] [--out outputs/bench]
    python -m experiments.bench_launchers --quick     # 2 tiny runs: a smoke check of every launcher

Each launcher runs the same sweep (seeds 0..runs-1) from an empty temporary directory: Hydra's
basic launcher (one job after another in the sweep's process), ``processes`` (the default of
``growthsim -m``: one worker per core) and ``ray`` (a local Ray started by the sweep; skipped
unless the [ray] extra is installed). The per-run results must be identical (runs.csv compared),
and the speed-up is basic / launcher. Writes launchers.md and launchers.json into ``--out``
(``--out results/bench`` regenerates the committed reference, docs/scaling.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
GROWTHSIM = shutil.which("growthsim", path=str(Path(sys.executable).parent)) or "growthsim"


def launchers() -> dict[str, list[str]]:
    out = {"basic": ["hydra/launcher=basic"], "processes": ["hydra/launcher=processes"]}
    if importlib.util.find_spec("ray"):
        out["ray"] = ["hydra/launcher=ray"]
    return out


def time_sweep(extra: list[str], sweep: list[str]) -> tuple[float, pd.DataFrame]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        res = subprocess.run([GROWTHSIM, "-m", *sweep, *extra], cwd=tmp, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if res.returncode:
            raise RuntimeError(res.stderr[-2000:])
        (sweep_dir,) = (Path(tmp) / "outputs" / "sweeps").iterdir()
        return wall, pd.read_csv(sweep_dir / "runs.csv")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--size", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--out", default="outputs/bench", help="output folder")
    ap.add_argument("--quick", action="store_true", help="2 runs of 300 people over 5 days (smoke check)")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.size, args.days = 2, 300, 5
    sweep = [f"seed=range({args.runs})", f"population.size={args.size}", f"days={args.days}", "progress=false"]
    rows, tables = [], {}
    for name, extra in launchers().items():
        wall, tables[name] = time_sweep(extra, sweep)
        rows.append({"launcher": name, "runs": args.runs, "wall_s": round(wall, 2)})
        print(f"{name:9s} {wall:7.2f} s", flush=True)
    same = {n: tables[n].equals(tables["basic"]) for n in tables}
    for r in rows:
        r["speedup"] = round(rows[0]["wall_s"] / r["wall_s"], 2)
        r["identical_results"] = same[r["launcher"]]
    md = ["| launcher | runs | wall s | speed-up vs basic | per-run results identical to basic |", "|---|---|---|---|---|"]
    md += [f"| {r['launcher']} | {r['runs']} | {r['wall_s']:.2f} | {r['speedup']:.2f}x | {r['identical_results']} |"
           for r in rows]
    text = (f"Sweep: `growthsim -m {' '.join(sweep)}` on {os.cpu_count()} cores "
            f"(wall time of the whole command, start-up included).\n\n" + "\n".join(md) + "\n")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "launchers.md").write_text(text)
    (out / "launchers.json").write_text(json.dumps(rows, indent=2))
    print("\n" + text)
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
