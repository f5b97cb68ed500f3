"""Independent cascade: our ``cascade`` reduction vs ndlib's ``IndependentCascadesModel``, side by side.

    python -m experiments.bench_cascade                   # 10,000-node BA graph (m=3), edge_p 0.1, 15 runs each
    python -m experiments.bench_cascade --runs 5 --edge-p 0.2
    python -m experiments.bench_cascade --quick           # 2,000 nodes, 3 runs (smoke check)
    python -m experiments.bench_cascade --loop            # a user's loop over one edge-list file, 20 runs

``--loop`` times what a user writes: the graph saved as an edge-list file, then for each seed
``simulate(load_config([... "graph=edgelist", "graph.path=F", f"seed={s}"]))`` as a whole (composing,
checking, reading the file (kept while unchanged on disk), the run), against ndlib's model on the
same graph per run (its networkx graph read from the same file once, as a user would). Writes
``bench_cascade_loop.{md,json}``.

Needs ndlib (``pip install ndlib six``; ndlib imports ``six`` without declaring it): the optional
extra ``validation``. Writes ``bench_cascade.{md,json}`` (``_quick`` with --quick) in ``--out`` (default
``outputs/validation``; the committed reference: ``--out results/validation``).

Both engines get the same input for run i: the same Barabasi-Albert graph (built by our generator
from seed i, ``graph_s``; ndlib gets it as a networkx Graph, ``nx_build_s``: input preparation,
timed apart for both), the same seed set (our day-0 members, given to ndlib as its initial
"Infected") and the same edge probability on every edge. Ours is ``simulate(cfg, graph=g)``:
its time covers everything the engine does for a run on a given graph (checking the config,
people, every day and its record, the summary; Mesa agents are made only when looked at, and the
time to make them all afterwards, ``agents_s``, is reported apart), but not composing the Hydra config and
converting it to plain dataclasses, done once and timed apart (``config_s``, as in
experiments/bench.py), nor turning the daily record into a pandas DataFrame (``run.timeseries`` is
built when first asked for; the final size is in the summary). ndlib's time is creating and
configuring the model plus iterating until no node is active (status 1; ndlib's status 2 = removed,
i.e. has had its one chance); ours runs until its first day without joiners (the preset's
``stop_when_still=1``), after which no one has a chance left. Runs alternate which engine goes
first, so drifts in machine load hit both alike, and garbage is collected before each timed run.
The report also gives the ratio with our graph build counted in ours.

ndlib traps handled here: an edge ``threshold`` applies only if given for *every* edge (if some
edges lack it, ndlib silently uses 1/degree of the infecting node for all of them; if none has it,
0.1), so every edge gets one and the count is checked; ``IndependentCascadesModel(graph, seed)``
reseeds numpy's global generator (``np.random.seed(seed)``; ``None`` reseeds from the OS), so each run
passes its own seed.
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from experiments.bench import machine
from experiments.validate import ci95, percolation_threshold, undirected_edges

REPO = Path(__file__).resolve().parents[1]
TARGET_SPEEDUP = 20.0


def ours(spec, graph, seed: int) -> dict:
    """Our run for ``seed`` on ``graph``, timed as a whole (``wall_s``)."""
    from sim import simulate
    spec.seed = seed
    gc.collect()  # both engines start with no garbage of earlier runs pending (see the module's docstring)
    t0 = time.perf_counter()
    run = simulate(spec, graph=graph)
    wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    made = len(run.model.agents)  # every member's and group's Mesa agent, made when first looked at
    agents = time.perf_counter() - t0
    members = run.timeseries["members"].to_numpy()
    return {"wall_s": wall, "agents_s": agents, "agents": made, "final": int(members[-1]), "seeds": np.flatnonzero(run.model.joined == 0),
            "last_join_day": last_join_day_of(members), "days_run": len(members) - 1}


def last_join_day_of(members: np.ndarray) -> int:
    grew = np.flatnonzero(np.diff(members))
    return int(grew[-1] + 1) if grew.size else 0


def to_networkx(graph):
    import networkx as nx
    src, dst = undirected_edges(graph)
    g = nx.Graph()
    g.add_nodes_from(range(graph.n))
    g.add_edges_from(zip(src.tolist(), dst.tolist()))
    return g


def ndlib_run(g, seeds: np.ndarray, edge_p: float, seed: int) -> dict:
    """ndlib's IC until no node is active (``wall_s``)."""
    import ndlib.models.ModelConfig as mc
    import ndlib.models.epidemics as ep
    gc.collect()
    t0 = time.perf_counter()
    model = ep.IndependentCascadesModel(g, seed=seed)  # reseeds numpy's global generator with `seed`
    config = mc.Configuration()
    config.add_model_initial_configuration("Infected", seeds.tolist())
    for e in g.edges():
        config.add_edge_configuration("threshold", e, edge_p)
    model.set_initial_status(config)
    t1 = time.perf_counter()
    iterations = 0
    while True:
        counts = model.iteration(node_status=False)["node_count"]  # nodes per status after the iteration
        iterations += 1
        if not counts.get(1):  # no node active (status 1): the cascade is over
            break
    t2 = time.perf_counter()
    thresholds = model.params["edges"].get("threshold", {})
    if len(thresholds) != g.number_of_edges() or any(v != edge_p for v in thresholds.values()):
        raise RuntimeError("ndlib did not take the per-edge thresholds (it would silently use 1/degree or 0.1)")
    status = np.array([model.status[i] for i in range(g.number_of_nodes())])
    return {"wall_s": t2 - t0, "setup_s": t1 - t0, "iterate_s": t2 - t1, "iterations": iterations,
            "final": int(np.count_nonzero(status > 0)), "still_active": int(np.count_nonzero(status == 1))}


def user_loop(args) -> int:
    """``--loop``: 20 runs of the cascade preset on one edge-list file, each composed and run as a user would."""
    import tempfile

    import networkx as nx

    from sim import load_config, simulate
    from sim.engine.graph import barabasi_albert

    graph = barabasi_albert(args.n, 3, np.random.default_rng(7))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.txt"
        src, dst = undirected_edges(graph)
        np.savetxt(path, np.c_[src, dst], fmt="%d")
        g = nx.read_edgelist(path, nodetype=int)
        g.add_nodes_from(range(graph.n))

        def overrides(seed: int) -> list[str]:
            return ["reduction=cascade", "graph=edgelist", f"graph.path={path}", f"reduction.edge_p={args.edge_p}",
                    f"reduction.seed_fraction={args.seed_fraction}", f"days={args.days}", f"seed={seed}",
                    "progress=false"]

        simulate(load_config(overrides(0)))  # warm-up: first-call costs of both, not timed
        ndlib_run(g, np.arange(5), args.edge_p, 0)
        for seed in range(1, args.runs + 1):
            gc.collect()
            t = time.perf_counter()
            run = simulate(load_config(overrides(seed)))
            ours_s = time.perf_counter() - t
            seeds = np.flatnonzero(run.model.joined == 0)
            nd = ndlib_run(g, seeds, args.edge_p, seed)
            rows.append({"seed": seed, "ours_s": ours_s, "ndlib_s": nd["wall_s"], "ours_final": run.summary["members_final"],
                         "ndlib_final": nd["final"]})
    ours_med = statistics.median(r["ours_s"] for r in rows)
    nd_med = statistics.median(r["ndlib_s"] for r in rows)
    text = (f"# A user's loop: {args.runs} cascade runs on one {args.n:,}-node edge-list file\n\n"
            f"`simulate(load_config([... graph=edgelist graph.path=F, seed=s]))` per run, whole, against ndlib's "
            f"`IndependentCascadesModel` per run on the same graph and seed set (edge_p {args.edge_p}).\n\n"
            f"| | per run (median) | min | max |\n|---|---|---|---|\n"
            f"| ours | {ours_med * 1e3:.1f} ms | {min(r['ours_s'] for r in rows) * 1e3:.1f} ms "
            f"| {max(r['ours_s'] for r in rows) * 1e3:.1f} ms |\n"
            f"| ndlib | {nd_med * 1e3:.1f} ms | {min(r['ndlib_s'] for r in rows) * 1e3:.1f} ms "
            f"| {max(r['ndlib_s'] for r in rows) * 1e3:.1f} ms |\n\n"
            f"ndlib / ours (medians): **{nd_med / ours_med:.1f}x**; mean final size ours "
            f"{np.mean([r['ours_final'] for r in rows]):,.0f}, ndlib {np.mean([r['ndlib_final'] for r in rows]):,.0f}.\n")
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_cascade_loop.md").write_text(text)
    (out / "bench_cascade_loop.json").write_text(json.dumps({"machine": machine(), "runs": rows}, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.bench_cascade", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="people (BA graph, m=3)")
    ap.add_argument("--edge-p", type=float, default=0.1, help="edge probability (threshold ~0.06 at n=10,000)")
    ap.add_argument("--seed-fraction", type=float, default=0.01)
    ap.add_argument("--days", type=int, default=40, help="the longest our run may take (it stops on its own on the "
                    "first day without joiners: the cascade is over)")
    ap.add_argument("--runs", type=int, default=15, help="runs per engine (seeds 0..runs-1)")
    ap.add_argument("--quick", action="store_true", help="2,000 people, 3 runs: smoke check")
    ap.add_argument("--loop", action="store_true", help="a user's loop: 20 runs composed and run on one edge-list file")
    ap.add_argument("--out", default="outputs/validation",
                    help="output folder (the committed reference: --out results/validation)")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.runs = 2000, 3
    try:
        import ndlib  # noqa: F401
    except ImportError:
        sys.exit("ndlib is not installed: pip install ndlib six (the 'validation' extra)")
    if args.loop:
        args.runs = 20 if args.runs == 15 else args.runs
        return user_loop(args)
    from sim import config, load_config, simulate
    from sim.engine.graph import build_graph
    from sim.engine.model import CommunityModel
    from sim.engine.rng import Streams

    c0 = time.perf_counter()
    cfg = load_config(["reduction=cascade", "graph=barabasi_albert", "graph.m=3", f"population.size={args.n}",
                       f"reduction.seed_fraction={args.seed_fraction}", f"reduction.edge_p={args.edge_p}",
                       f"days={args.days}", "seed=0", "progress=false"])
    spec = config.plain(cfg)
    config_s = time.perf_counter() - c0
    # warm-up: first-call costs (lazy imports, caches) of both engines, not timed
    warm = simulate(spec).model
    ndlib_run(to_networkx(warm.graph), np.flatnonzero(warm.joined == 0)[:5], args.edge_p, 0)

    runs = []
    print(f"BA n={args.n:,} m=3, edge_p={args.edge_p}, seed fraction {args.seed_fraction}, {args.runs} runs per engine")
    for i in range(args.runs):
        seed = spec.seed = 1000 + i
        t = time.perf_counter()
        graph = build_graph(spec.graph, args.n, Streams(seed)["graph"])  # what the config would build for this seed
        graph_s = time.perf_counter() - t
        t = time.perf_counter()
        pre = CommunityModel(spec, graph=graph)  # our set-up alone (a model built, not run): its day-0 members
        setup_s = time.perf_counter() - t
        seeds = np.flatnonzero(pre.joined == 0)
        t = time.perf_counter()
        g = to_networkx(graph)
        nx_s = time.perf_counter() - t
        if i % 2 == 0:
            o = ours(spec, graph, seed)
            nd = ndlib_run(g, seeds, args.edge_p, seed)
        else:
            nd = ndlib_run(g, seeds, args.edge_p, seed)
            o = ours(spec, graph, seed)
        if not np.array_equal(o["seeds"], seeds):
            raise RuntimeError("ndlib did not start from our seed set")
        o["graph"], o["graph_s"], o["setup_s"] = graph, graph_s, setup_s
        if o["days_run"] >= args.days:
            raise RuntimeError(f"seed {seed}: our cascade was still running on day {args.days}; raise --days")
        if nd["still_active"]:
            raise RuntimeError("ndlib stopped with active nodes")
        runs.append({"seed": seed, "edges": o["graph"].n_edges, "seeds": len(o["seeds"]),
                     "threshold": percolation_threshold(o["graph"]), "nx_build_s": nx_s,
                     "ours_wall_s": o["wall_s"], "ours_setup_s": o["setup_s"], "ours_graph_s": o["graph_s"],
                     "ours_agents_s": o["agents_s"], "ours_agents": o["agents"],
                     "ours_final": o["final"], "ours_last_join_day": o["last_join_day"], "ours_days": o["days_run"],
                     "ndlib_wall_s": nd["wall_s"], "ndlib_setup_s": nd["setup_s"], "ndlib_iterate_s": nd["iterate_s"],
                     "ndlib_iterations": nd["iterations"], "ndlib_final": nd["final"]})
        r = runs[-1]
        print(f"  seed {seed}: ours {r['ours_wall_s']:.3f} s final {r['ours_final']:,} (last join day "
              f"{r['ours_last_join_day']}) | ndlib {r['ndlib_wall_s']:.3f} s (set-up {r['ndlib_setup_s']:.3f}) "
              f"final {r['ndlib_final']:,} in {r['ndlib_iterations']} iterations")

    med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
    o_mean, o_half = ci95(np.array([r["ours_final"] for r in runs]))
    n_mean, n_half = ci95(np.array([r["ndlib_final"] for r in runs]))
    d_mean, d_half = ci95(np.array([r["ours_final"] - r["ndlib_final"] for r in runs]))
    ratio = med("ndlib_wall_s") / med("ours_wall_s")
    ratios = [r["ndlib_wall_s"] / r["ours_wall_s"] for r in runs]
    speed_ok = ratio >= TARGET_SPEEDUP
    size_ok = abs(d_mean) <= d_half
    info = machine()
    import importlib.metadata as md
    info["ndlib"], info["networkx"] = md.version("ndlib"), md.version("networkx")
    summary = {
        "n": args.n, "m": 3, "edges_mean": float(np.mean([r["edges"] for r in runs])), "edge_p": args.edge_p,
        "seed_fraction": args.seed_fraction, "days": args.days, "runs": args.runs,
        "threshold_mean": float(np.mean([r["threshold"] for r in runs])), "config_s": config_s,
        "ours_wall_s_median": med("ours_wall_s"), "ndlib_wall_s_median": med("ndlib_wall_s"),
        "ndlib_setup_s_median": med("ndlib_setup_s"), "ndlib_iterate_s_median": med("ndlib_iterate_s"),
        "nx_build_s_median": med("nx_build_s"), "speedup_median_ratio": ratio,
        "ours_setup_s_median": med("ours_setup_s"), "ours_graph_s_median": med("ours_graph_s"),
        "speedup_ours_with_graph": med("ndlib_wall_s") / (med("ours_wall_s") + med("ours_graph_s")),
        "ours_agents_s_median": med("ours_agents_s"),
        "speedup_ours_with_agents": med("ndlib_wall_s") / (med("ours_wall_s") + med("ours_agents_s")),
        "speedup_per_run_min": min(ratios), "speedup_per_run_max": max(ratios),
        "ours_final_mean": float(o_mean), "ours_final_ci95": float(o_half),
        "ndlib_final_mean": float(n_mean), "ndlib_final_ci95": float(n_half),
        "paired_diff_mean": float(d_mean), "paired_diff_ci95": float(d_half),
        "ours_last_join_day_max": max(r["ours_last_join_day"] for r in runs), "ours_days_median": med("ours_days"),
        "ndlib_iterations_median": med("ndlib_iterations"),
        "speed_pass": bool(speed_ok), "size_pass": bool(size_ok),
    }
    table = "\n".join([
        "| engine | time per run (median) | of which set-up | final size (mean ± 95% CI) | final fraction |",
        "|---|---|---|---|---|",
        f"| ours (`reduction=cascade`, `simulate(cfg, graph=g)`) | {summary['ours_wall_s_median']:.3f} s "
        f"| {summary['ours_setup_s_median']:.3f} s "
        f"| {o_mean:,.1f} ± {o_half:,.1f} | {o_mean / args.n:.4f} |",
        f"| ndlib {info['ndlib']} `IndependentCascadesModel` | {summary['ndlib_wall_s_median']:.3f} s "
        f"| {summary['ndlib_setup_s_median']:.3f} s | {n_mean:,.1f} ± {n_half:,.1f} | {n_mean / args.n:.4f} |",
    ])
    verdicts = [
        f"- {'PASS' if speed_ok else 'FAIL'}: ours >= {TARGET_SPEEDUP:.0f}x faster than ndlib "
        f"(median ndlib / median ours = {ratio:.1f}x; per-run ratios {min(ratios):.1f}x to {max(ratios):.1f}x)",
        f"- {'PASS' if size_ok else 'FAIL'}: same mean final size (paired difference ours - ndlib "
        f"{d_mean:+.1f} ± {d_half:.1f}, 95% CI contains 0)",
    ]
    notes = (f"BA graph n={args.n:,}, m=3 (mean {summary['edges_mean']:,.0f} edges; threshold <k>/(<k²>-<k>) = "
             f"{summary['threshold_mean']:.4f}), edge_p={args.edge_p}, seed fraction {args.seed_fraction} "
             f"({runs[0]['seeds']} seeds), {args.runs} runs per engine on identical graphs and seed sets, "
             f"both run until the cascade is over: ours {summary['ours_days_median']:.0f} days (median; the preset "
             f"stops on the first day without joiners, `stop_when_still=1`; last join by day "
             f"{summary['ours_last_join_day_max']}), ndlib {summary['ndlib_iterations_median']:.0f} iterations "
             f"(median; until no node is active). Config composition (once, not in "
             f"ours' time): {config_s:.3f} s; networkx graph from our CSR (not in ndlib's time): "
             f"{summary['nx_build_s_median']:.3f} s per run. Building the graph with our generator "
             f"({summary['ours_graph_s_median']:.3f} s, median) counted in ours: ndlib / (ours + graph) = "
             f"{summary['speedup_ours_with_graph']:.1f}x. Mesa agents are made when first looked at: making every "
             f"member's and group's agent after the run ({summary['ours_agents_s_median'] * 1e3:.2f} ms, median) "
             f"counted in ours: {summary['speedup_ours_with_agents']:.1f}x.")
    report = (f"# Cascade benchmark{' (quick)' if args.quick else ''}: ours vs ndlib\n\n"
              f"Machine: {info['nproc']} cores ({info['cpu']}), Python {info['python']}, numpy {info['numpy']}, "
              f"mesa {info['mesa']}, ndlib {info['ndlib']}, networkx {info['networkx']}\n\n{notes}\n\n{table}\n\n"
              + "\n".join(verdicts) + "\n")
    print("\n" + notes + "\n\n" + table + "\n\n" + "\n".join(verdicts))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "bench_cascade_quick" if args.quick else "bench_cascade" if args.n == 10_000 else f"bench_cascade_n{args.n}"
    (out / f"{stem}.md").write_text(report)
    (out / f"{stem}.json").write_text(json.dumps({"machine": info, "summary": summary, "runs": runs}, indent=1))
    print(f"\nwrote {out / (stem + '.md')} and {out / (stem + '.json')}")
    return 0 if args.quick or (speed_ok and size_ok) else 1


if __name__ == "__main__":
    sys.exit(main())
