"""Parameter recovery of the community fit (docs/data.md): histories made by the simulator with known values
(the example's, on other seeds) are fitted, and the fit is scored against what made them.

    python -m experiments.fit_recovery                  # 10 repetitions, 1,500 people x 40 days
    python -m experiments.fit_recovery --quick          # 1 repetition of 12 sets, 4 kept (a smoke run)

Per repetition: the share of observed daily numbers inside the 90% predictive band, and the share of
parameters whose true value lies inside its 90% interval (all, and those the fit calls identified).
Writes recovery.csv into --out."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from experiments import example_community as example


def repetition(seed: int, folder: Path, table: int, accept: int) -> dict:
    example.write(folder / "data", *example.QUICK, seed=seed)
    out = folder / "fit"
    growthsim = Path(sys.executable).with_name("growthsim")
    subprocess.run([str(growthsim), "experiment=fit", f"experiment.data={folder / 'data' / 'history.csv'}",
                    "graph=edgelist", f"graph.path={folder / 'data' / 'contacts.txt'}", f"experiment.table={table}",
                    f"experiment.accept={accept}", "experiment.replicates=1", f"experiment.out_dir={out}",
                    "progress=false"], check=True, capture_output=True)
    pp = pd.read_csv(out / "posterior_predictive.csv")
    params = pd.read_csv(out / "parameters.csv").set_index("parameter")
    truth = pd.Series(example.truth())
    inside = (params.low <= truth) & (truth <= params.high)
    ident = params.identified
    return {"seed": seed, "band_coverage": float(((pp.observed >= pp.low) & (pp.observed <= pp.high)).mean()),
            "truth_in_interval": float(inside.mean()), "identified": int(ident.sum()),
            "identified_truth_in_interval": float(inside[ident].mean()) if ident.any() else float("nan")}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Parameter recovery of growthsim experiment=fit (docs/data.md).")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--table", type=int, default=48)
    p.add_argument("--accept", type=int, default=12)
    p.add_argument("--quick", action="store_true", help="1 repetition of 12 sets, 4 kept (a smoke run)")
    p.add_argument("--out", type=Path, default=Path("outputs/fit_recovery"))
    args = p.parse_args(argv)
    repeats, table, accept = (1, 12, 4) if args.quick else (args.repeats, args.table, args.accept)
    rows = []
    for i in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(repetition(100 + i, Path(tmp), table, accept))
        print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out / "recovery.csv", index=False, float_format="%.4g")
    print(df.to_string(index=False, float_format="%.3f"))
    print(f"median band coverage {df.band_coverage.median():.1%} (goal >= 85% for the 90% band); true values inside "
          f"their 90% interval: median {df.truth_in_interval.median():.0%} of parameters; repetitions with "
          f">= 85% coverage: {(df.band_coverage >= 0.85).sum()} of {len(df)}")


if __name__ == "__main__":
    main()
