"""What limits a day at a million people: the model's time per member-day against the memory's limits.

    python -m experiments.bench_memory            # 1,000,000 people x 365 days, plus the memory probes
    python -m experiments.bench_memory --n 200000 --days 60
    python -m experiments.bench_memory --quick     # 20,000 people x 30 days (smoke check)

The memory probes, on this machine, over arrays the size of the model's person columns:

- streaming: reading a 256 MB float32 array (``a.sum()``) and copying it, in GB/s;
- gathers: ``x[idx]`` from a float32 column of ``--n`` people for as many indices as the run's mean
  number of members, in ns per element, with the indices in random order (the model's member list is in
  order of joining, so its ids are scattered), sorted, and as a contiguous slice.

The model: one run of the default config (Barabasi-Albert, m = 5), the days alone timed (set-up
apart), and the phases' share from timing each phase. Per member-day = the days' time over the sum of
the members on each day. Writes ``memory.{md,json}`` in ``--out`` (default ``outputs/bench``).
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from experiments.bench import machine


def best(f, repeats: int = 7) -> float:
    """The median seconds of ``f()`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def probes(n: int, k: int) -> dict:
    """Streaming GB/s and gather ns/element for ``k`` of ``n`` people."""
    rng = np.random.default_rng(0)
    big = np.ones(64 * 2**20, dtype=np.float32)
    copy = np.empty_like(big)
    column = rng.random(n, dtype=np.float32)
    scattered = rng.choice(n, size=k, replace=False)
    ordered = np.sort(scattered)
    return {"read_gbs": big.nbytes / best(big.sum) / 1e9,
            "copy_gbs": 2 * big.nbytes / best(lambda: np.copyto(copy, big)) / 1e9,
            "gather_random_ns": best(lambda: column[scattered], 51) / k * 1e9,
            "gather_sorted_ns": best(lambda: column[ordered], 51) / k * 1e9,
            "slice_ns": best(lambda: column[:k].copy(), 51) / k * 1e9}


def model_days(n: int, days: int) -> dict:
    """One default run: the days' seconds, the member-days, and each phase's share of the days."""
    from sim import config, load_config
    from sim.engine.model import CommunityModel

    model = CommunityModel(config.validate(load_config([f"population.size={n}", f"days={days}", "seed=3",
                                                       "progress=false"])))
    spent = {}

    def timed(name, phase):
        def run():
            t = time.perf_counter()
            phase()
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
        return run

    model.phases = [timed(p.__name__, p) for p in model.phases]
    t = time.perf_counter()
    model.run()
    wall = time.perf_counter() - t
    member_days = int(model.recorder.frame()["members"].iloc[1:].sum())
    return {"days_s": wall, "member_days": member_days, "members_mean": member_days / days,
            "phase_share": {k: v / wall for k, v in spent.items()}}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m experiments.bench_memory", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--quick", action="store_true", help="20,000 people x 30 days (smoke check)")
    ap.add_argument("--out", default="outputs/bench")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.days = 20_000, 30
    run = model_days(args.n, args.days)
    mem = probes(args.n, int(run["members_mean"]))
    per_member_day = run["days_s"] / run["member_days"] * 1e9
    lines = [f"# What limits a day: {args.n:,} people x {args.days} days", "",
             f"Model (default config): days {run['days_s']:.2f} s for {run['member_days']:,} member-days "
             f"(mean {run['members_mean']:,.0f} members a day): **{per_member_day:.0f} ns per member-day**, "
             f"{run['days_s'] / (args.n * args.days) * 1e9:.1f} ns per person-day.", "",
             "Phases' share of the days: " + ", ".join(f"{k} {v:.0%}" for k, v in run["phase_share"].items()) + ".",
             "", "| memory probe | this machine |", "|---|---|",
             f"| streaming read | {mem['read_gbs']:.1f} GB/s |", f"| streaming copy (read + write) | "
             f"{mem['copy_gbs']:.1f} GB/s |",
             f"| gather, ids in random order (as the member list) | {mem['gather_random_ns']:.2f} ns/element |",
             f"| gather, ids sorted | {mem['gather_sorted_ns']:.2f} ns/element |",
             f"| contiguous slice | {mem['slice_ns']:.2f} ns/element |", "",
             f"A member-day costs as many random gathers as {per_member_day / mem['gather_random_ns']:.0f}, or as "
             f"much streaming as {per_member_day * mem['read_gbs']:.0f} bytes read."]
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "memory.md").write_text(text)
    (out / "memory.json").write_text(json.dumps({"machine": machine(), "n": args.n, "days": args.days,
                                                 "model": run, "probes": mem}, indent=1))


if __name__ == "__main__":
    main()
