"""Throughput benchmark: our vectorized model vs the plain Mesa reference (``experiments.plain_mesa``).

    python -m experiments.bench                 # all cases (~10+ minutes on 2 cores)
    python -m experiments.bench --quick         # tiny sizes, smoke check (seconds)
    python -m experiments.bench --cases a,c     # pick cases

Each run is a fresh subprocess, so its peak memory is that process's ``ru_maxrss``. Throughput is
person-days per second = population x days / wall time of the whole run *including set-up*
(graph, people, agents) and the summary, excluding the interpreter start and module imports
(``import_s``) and the composition of the Hydra config (``config_s``, reported apart: it is input
preparation, which the plain model, given its parameters as arguments, does not do). Both engines use a Barabasi-Albert graph with m=5 built by
``sim.engine.graph.barabasi_albert``. Writes ``bench.md`` and ``bench.json`` (``bench_quick.*`` with
``--quick``) in ``--out`` (default ``outputs/bench``; the committed reference: ``--out results/bench``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED, M = 3, 5

# case -> (people, days, engines, repeats); repeats=None means the --repeats option
CASES = {
    "a": (20_000, 365, ("ours", "plain"), None),
    "b": (200_000, 60, ("ours", "plain"), 1),
    "c": (1_000_000, 365, ("ours",), 1),
}
QUICK = {"a": (2_000, 30), "b": (5_000, 10), "c": (20_000, 10)}
TARGET_SPEEDUP, TARGET_PEAK_MB = 30.0, 1500.0


# ---------------------------------------------------------------- one run (in the subprocess)
def worker(engine: str, n: int, days: int, seed: int) -> dict:
    t0 = time.perf_counter()
    config_s = 0.0
    if engine == "ours":
        import sim.engine.model
        from sim import config, load_config
        from sim.measures.metrics import summarize
        c0 = time.perf_counter()
        cfg = load_config([f"population.size={n}", f"days={days}", f"seed={seed}",
                           "graph=barabasi_albert", f"graph.m={M}", "progress=false"])
        t1 = time.perf_counter()
        config_s = t1 - c0  # composing the Hydra config: input preparation, reported apart
        model = sim.engine.model.CommunityModel(config.validate(cfg))  # what simulate() does, minus the memory check
        setup = time.perf_counter() - t1
        model.run()
        model.recorder.frame()  # the time series as simulate() returns it
        members = summarize(model)["members_final"]
        t2 = time.perf_counter()
    elif engine == "plain":
        from experiments.plain_mesa import PlainCommunity
        t1 = time.perf_counter()
        model = PlainCommunity(n, m=M, seed=seed)
        setup = time.perf_counter() - t1
        for _ in range(days):
            model.step()
        t2 = time.perf_counter()
        members = model.members
    else:
        raise ValueError(f"unknown engine {engine!r}")
    wall = t2 - t1
    return {"engine": engine, "people": n, "days": days, "seed": seed, "import_s": t1 - t0 - config_s,
            "config_s": config_s,
            "setup_s": setup, "wall_s": wall, "person_days_per_s": n * days / wall,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
            "members_final": int(members)}


def run_case(engine: str, n: int, days: int, seed: int = SEED) -> dict:
    cmd = [sys.executable, "-m", "experiments.bench", "--worker", engine, str(n), str(days), str(seed)]
    print(f"  {engine:5s} {n:>9,} people x {days} days ...", end=" ", flush=True)
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if out.returncode:
        print("FAILED")
        raise RuntimeError(f"{' '.join(cmd)} exited {out.returncode}:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{res['wall_s']:.2f} s, {res['person_days_per_s']:,.0f} person-days/s, {res['peak_mb']:.0f} MB")
    return res


# ---------------------------------------------------------------- report
def machine() -> dict:
    import mesa
    import numpy
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "numpy": numpy.__version__,
            "mesa": mesa.__version__, "platform": platform.platform(), "cpu": _cpu_model()}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def summarize(case: str, runs: list[dict]) -> list[dict]:
    """One row per engine: the median run (by wall time) and the speed-up over plain Mesa."""
    rows = []
    for engine in dict.fromkeys(r["engine"] for r in runs):
        rs = [r for r in runs if r["engine"] == engine]
        wall = statistics.median(r["wall_s"] for r in rs)
        rows.append({"case": case, "engine": engine, "people": rs[0]["people"], "days": rs[0]["days"],
                     "repeats": len(rs), "walls_s": [round(r["wall_s"], 3) for r in rs], "wall_s": wall,
                     "setup_s": statistics.median(r["setup_s"] for r in rs),
                     "config_s": statistics.median(r["config_s"] for r in rs),
                     "person_days_per_s": rs[0]["people"] * rs[0]["days"] / wall,
                     "peak_mb": max(r["peak_mb"] for r in rs),
                     "members_final": statistics.median(r["members_final"] for r in rs)})
    plain = next((r for r in rows if r["engine"] == "plain"), None)
    for r in rows:
        r["speedup"] = r["person_days_per_s"] / plain["person_days_per_s"] if plain else None
        if plain and r["engine"] != "plain":  # repeat i of each engine ran back to back: a pair
            r["pair_speedups"] = [round(p / o, 1) for o, p in zip(r["walls_s"], plain["walls_s"])]
    return rows


def table(rows: list[dict]) -> str:
    head = ("| case | engine | people | days | runs | wall s (median) | set-up s | config s | person-days/s "
            "| peak MB | members at end | speed-up vs plain |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        sp = f"{r['speedup']:.1f}x" if r["speedup"] is not None else "-"
        lines.append(f"| {r['case']} | {r['engine']} | {r['people']:,} | {r['days']} | {r['repeats']} "
                     f"| {r['wall_s']:.2f} | {r['setup_s']:.2f} | {r['config_s']:.2f} | {r['person_days_per_s']:,.0f} "
                     f"| {r['peak_mb']:.0f} | {r['members_final']:,.0f} | {sp} |")
    return "\n".join(lines)


def checks(rows: list[dict]) -> list[tuple[str, bool, str]]:
    out = []
    for case in ("a", "b"):
        ours = next((r for r in rows if r["case"] == case and r["engine"] == "ours"), None)
        if ours and ours["speedup"] is not None:
            out.append((f"({case}) ours >= {TARGET_SPEEDUP:.0f}x plain Mesa person-days/s",
                        ours["speedup"] >= TARGET_SPEEDUP, f"{ours['speedup']:.1f}x"))
    ours = next((r for r in rows if r["case"] == "c"), None)
    if ours:
        out.append((f"(c) peak memory < {TARGET_PEAK_MB:.0f} MB", ours["peak_mb"] < TARGET_PEAK_MB,
                    f"{ours['peak_mb']:.0f} MB"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes only (smoke check); writes bench_quick.*")
    ap.add_argument("--cases", default="a,b,c", help="comma-separated subset of a,b,c (default: all)")
    ap.add_argument("--repeats", type=int, default=None, help="repeats of case a, alternating ours/plain (default 9: "
                    "single runs of ours vary by +-35%% on a shared VM; 1 with --quick)")
    ap.add_argument("--out", default="outputs/bench",
                    help="output folder (the committed reference: --out results/bench)")
    ap.add_argument("--worker", nargs=4, metavar=("ENGINE", "N", "DAYS", "SEED"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        engine, n, days, seed = args.worker
        print(json.dumps(worker(engine, int(n), int(days), int(seed))))
        return 0

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if bad := [c for c in cases if c not in CASES]:
        ap.error(f"unknown case(s) {bad}; choose from {', '.join(CASES)}")
    runs, rows = [], []
    for case in cases:
        n, days, engines, repeats = CASES[case]
        if args.quick:
            n, days = QUICK[case]
        repeats = repeats or args.repeats or (1 if args.quick else 9)
        print(f"case {case}: {n:,} people x {days} days, {repeats} repeat(s)")
        case_runs = []
        for i in range(repeats):  # alternate engines so drifts in machine load hit both alike
            for engine in (engines if i % 2 == 0 else engines[::-1]):
                case_runs.append(dict(run_case(engine, n, days), case=case, repeat=i))
        runs += case_runs
        rows += summarize(case, case_runs)

    info = machine()
    md = table(rows)
    verdicts = checks(rows)
    verdict_md = "\n".join(f"- {'PASS' if ok else 'FAIL'}: {name} (measured {val})" for name, ok, val in verdicts)
    walls = "\n".join(f"- case {r['case']} {r['engine']}: walls {r['walls_s']} s" for r in rows if r["repeats"] > 1)
    walls += "".join(f"\n- case {r['case']} speed-up of each back-to-back pair: {r['pair_speedups']} (median "
                     f"{statistics.median(r['pair_speedups']):.1f}x; the verdict uses the ratio of the medians)"
                     for r in rows if r.get("pair_speedups") and r["repeats"] > 1)
    report = (f"# Benchmark{' (quick)' if args.quick else ''}\n\n"
              f"Machine: {info['nproc']} cores ({info['cpu']}), Python {info['python']}, numpy {info['numpy']}, "
              f"mesa {info['mesa']}\n\n{md}\n\n{walls}\n\n{verdict_md}\n")
    print("\n" + md + "\n\n" + (walls + "\n\n" if walls else "") + verdict_md)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "bench_quick" if args.quick else "bench"
    (out / f"{stem}.md").write_text(report)
    (out / f"{stem}.json").write_text(json.dumps(
        {"machine": info, "quick": args.quick, "rows": rows, "runs": runs,
         "checks": [{"target": t, "pass": ok, "measured": v} for t, ok, v in verdicts]}, indent=2))
    print(f"\nwrote {out / (stem + '.md')} and {out / (stem + '.json')}")
    return 0 if args.quick or all(ok for _, ok, _ in verdicts) else 1  # tiny sizes say nothing of targets


if __name__ == "__main__":
    sys.exit(main())
