"""Write the example of your own community's data (examples/community/, docs/data.md): SYNTHETIC, made by
this simulator from the settings below, in the formats a community tool's export is read in.

    python -m experiments.example_community               # examples/community/
    python -m experiments.example_community --quick --out DIR

The settings: 6,000 people on a Barabási–Albert graph (m=5), 600 members on day 0, 120 days (the history is days 1..120),
the case ensemble's fixed part (conf/fitted/ensemble.yaml) and its free parameters at the median of
conf/fitted/ensemble.parquet, seed 7; day 0 is 2026-03-02."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.fit import SERIES, case_prior
from sim.app.run import load_config, simulate
from sim.config import CONF_DIR
from sim.engine.model import MEMBER

REPO = Path(__file__).resolve().parents[1]
START = "2026-03-02"
SIZE, MEMBERS, DAYS, SEED = 6000, 600, 120, 7
QUICK = (1500, 150, 40)  # --quick: people, members on day 0, days


def truth() -> dict[str, float]:
    """The free parameters' values behind the example: the case ensemble's median of each."""
    ens = pd.read_parquet(CONF_DIR / "fitted" / "ensemble.parquet")
    return {k: float(f"{ens[k].median():.4g}") for k in case_prior().keys}


def generate(size: int, members: int, days: int, seed: int = SEED):
    """The run and its exports: the daily history, the member table and the contacts edge list."""
    values = [f"{k}={v}" for k, v in truth().items()]
    cfg = load_config(["+fitted=ensemble", f"population.size={size}", f"population.initial_members={members}",
                       f"days={days}", f"seed={seed}", *values])
    run = simulate(cfg, progress=False)
    ts = run.timeseries
    history = pd.DataFrame({"date": pd.date_range(START, periods=len(ts)).strftime("%Y-%m-%d")})
    for column, source in SERIES.items():
        history[column] = ts[source].astype(int).to_numpy()
    history = history.iloc[1:]  # day 0 is the start, before anyone took part: an export begins on day 1
    model = run.model
    table = run.members.to_pandas()
    table = table[model.status[table.person.to_numpy()] == MEMBER]  # an export lists today's members
    day = pd.Timestamp(START)
    last = model.last_seen(table.person.to_numpy())
    member_table = pd.DataFrame({
        "id": [f"m{p:05d}" for p in table.person],
        "joined": [(day + pd.Timedelta(days=int(max(d, 0)))).strftime("%Y-%m-%d") for d in table.joined],
        "last_active": [(day + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d") if d >= 0 else "" for d in last],
        "purchases": table.purchases.to_numpy(),
        "group": [f"group-{g + 1}" for g in table.group]})
    g = model.graph
    src = np.repeat(np.arange(g.n), np.diff(g.indptr))
    keep = src < g.indices
    edges = pd.DataFrame({"a": src[keep], "b": g.indices[keep]})
    return history, member_table, edges


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Write the synthetic example community (docs/data.md).")
    p.add_argument("--quick", action="store_true", help="a small example (1,500 people, 150 members, 40 days)")
    p.add_argument("--out", type=Path, default=REPO / "examples" / "community", help="folder (default examples/community)")
    args = p.parse_args(argv)
    write(args.out, *(QUICK if args.quick else (SIZE, MEMBERS, DAYS)))


def write(out: Path, size: int, members: int, days: int, seed: int = SEED) -> None:
    """``generate`` into ``out``: history.csv, members.csv, contacts.txt."""
    history, member_table, edges = generate(size, members, days, seed)
    out.mkdir(parents=True, exist_ok=True)
    history.to_csv(out / "history.csv", index=False)
    member_table.to_csv(out / "members.csv", index=False)
    edges.to_csv(out / "contacts.txt", sep=" ", header=False, index=False)
    print(f"wrote {out}: history.csv ({len(history)} days), members.csv ({len(member_table)} members), "
          f"contacts.txt ({len(edges)} friendships)")


if __name__ == "__main__":
    main()
