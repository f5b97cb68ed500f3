"""Validation against textbook diffusion models: the ``bass`` and ``cascade`` reductions of the engine.

    python -m experiments.validate            # ~2 minutes on 2 cores
    python -m experiments.validate --quick    # small sizes, smoke check (seconds)

Writes, in ``--out`` (default ``outputs/validation``), ``validation.json`` (every number quoted in
docs/validation.md), ``bass.csv``, ``cascade.csv`` and the two plots ``validation_bass.png`` and
``validation_cascade.png`` (in ``--img`` if given). The committed reference is rewritten only with
``python -m experiments.validate --out results/validation --img docs/img``.

The references are written here from scratch, independently of ``sim/``:

- Bass: the discrete recursion F[t+1] = F[t] + (1 - F[t]) (p + q F[t]) (the mean-field law of the
  reduction), the continuous closed form F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}), and
  the exact Markov chain of the reduction, M[t+1] = M[t] + Binomial(N - M[t], p + q M[t] / N),
  used to size the tolerance and to measure the tests' false-alarm rate and power.
- Independent cascade: bond percolation on the run's own graph from the run's own seed set
  (keep each undirected edge with probability edge_p; the final size is the number of people in
  components that contain a seed; the day of joining is the BFS distance from the seed set).
  On an undirected graph IC and bond percolation explored breadth-first are the same process
  (each edge is tried at most once, in the direction in which it is first reached), so the final
  size and the number of members by day have the same distribution.

The functions are shared with ``tests/test_validation.py``, so the tolerances quoted there, here and
in docs/validation.md are the same constants.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from sim.measures.stats import half_width

REPO = Path(__file__).resolve().parents[1]
FACEBOOK = REPO.parent / "shared" / "data" / "facebook_combined.txt"

BASS_PAIRS = ((0.03, 0.38), (0.01, 0.2))  # Sultan-Farley-Lehmann (1990) mean p and q; a slower pair
K_SE = 4.0          # tolerance in standard errors
BASS_FLOOR = 0.002  # member-fraction floor: > 3x the mean-field (recursion) bias of the exact chain at N >= 5,000
CASCADE_FLOOR = 0.001  # member-fraction floor of the cascade's by-day comparison (day 0 is identical in both)


# ---------------------------------------------------------------- Bass references
def bass_recursion(p: float, q: float, days: int) -> np.ndarray:
    """F[0..days]: F[0] = 0, F[t+1] = F[t] + (1 - F[t]) (p + q F[t])."""
    f = np.zeros(days + 1)
    for t in range(days):
        f[t + 1] = f[t] + (1.0 - f[t]) * min(1.0, p + q * f[t])
    return f


def bass_closed_form(p: float, q: float, t) -> np.ndarray:
    """Continuous-time Bass (1969) adoption fraction at time(s) t."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_chain(p: float, q: float, n: int, days: int, reps: int, rng: np.random.Generator) -> np.ndarray:
    """``reps`` runs of the reduction's exact law (member fraction, reps x (days+1)): each of the
    N - M outsiders joins independently with probability p + q M / N."""
    m = np.zeros(reps, dtype=np.int64)
    out = np.zeros((reps, days + 1))
    for t in range(days):
        m = m + rng.binomial(n - m, np.minimum(1.0, p + q * m / n))
        out[:, t + 1] = m
    return out / n


def bass_config(p: float, q: float, n: int, days: int, seed: int = 0):
    from sim import load_config
    return load_config(["reduction=bass", f"reduction.p={p}", f"reduction.q={q}", f"population.size={n}",
                        f"days={days}", f"seed={seed}", "progress=false"])


def bass_fractions(p: float, q: float, n: int, days: int, seeds) -> np.ndarray:
    """Member fraction by day (len(seeds) x (days+1)) of the engine's ``bass`` reduction, one row per seed."""
    from sim import simulate
    cfg = bass_config(p, q, n, days)  # composed once; only the seed changes between runs
    rows = []
    for s in seeds:
        cfg.seed = int(s)
        rows.append(simulate(cfg).timeseries["members"].to_numpy() / n)
    return np.array(rows)


def bass_check(sim: np.ndarray, ref: np.ndarray, k: float = K_SE, floor: float = BASS_FLOOR) -> dict:
    """The Bass test: per day, |mean over seeds - ref| <= k * SE + floor, SE = sample sd / sqrt(seeds)."""
    mean = sim.mean(axis=0)
    se = sim.std(axis=0, ddof=1) / np.sqrt(len(sim))
    err = np.abs(mean - ref)
    tol = k * se + floor
    return {"ok": bool(np.all(err <= tol)), "mean": mean, "se": se, "err": err, "tol": tol,
            "worst_day": int(np.argmax(err / tol)), "worst_ratio": float(np.max(err / tol))}


# ---------------------------------------------------------------- cascade references
@dataclass
class CascadeRun:
    graph: object           # the run's CSR graph
    seeds: np.ndarray       # who was a member on day 0
    members: np.ndarray     # members by day, day 0..days
    joined: np.ndarray      # day each person joined (-1 never)
    organic: int            # organic joins (0 in the reduction)

    @property
    def final(self) -> int:
        return int(self.members[-1])

    @property
    def finished(self) -> bool:
        """No one joined on the last day, hence no one shares ever again: the cascade is over."""
        return len(self.members) > 1 and self.members[-1] == self.members[-2]


def cascade_config(graph: list[str], seed_fraction: float, edge_p: float, days: int, seed: int = 0):
    from sim import load_config
    return load_config(["reduction=cascade", *graph, f"reduction.seed_fraction={seed_fraction}",
                        f"reduction.edge_p={edge_p}", f"days={days}", f"seed={seed}", "progress=false"])


def cascade_runs(cfg, seeds) -> list[CascadeRun]:
    """One engine run per seed (the graph and seed set change with the seed, except for an edge list)."""
    from sim import simulate
    out = []
    for s in seeds:
        cfg.seed = int(s)
        run = simulate(cfg)
        m = run.model
        members = run.timeseries["members"].to_numpy()  # ends the day the cascade died out (stop_when_still) ...
        members = np.pad(members, (0, cfg.days + 1 - len(members)), mode="edge")  # ... and stays so to `days`
        out.append(CascadeRun(m.graph, np.flatnonzero(m.joined == 0), members, m.joined.copy(),
                              int(run.timeseries["new_organic"].sum())))
    return out


def undirected_edges(graph) -> tuple[np.ndarray, np.ndarray]:
    """Each edge of a CSR graph once (i < j)."""
    rows = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    cols = np.asarray(graph.indices, dtype=np.int64)
    keep = cols > rows
    return rows[keep], cols[keep]


def percolation_sizes(graph, seeds: np.ndarray, edge_p: float, reps: int, rng: np.random.Generator,
                      days: int | None = None):
    """Bond percolation from ``seeds``: ``reps`` final sizes; with ``days``, also the number reached
    within t steps of the seed set for t = 0..days (reps x (days+1)), i.e. IC's members by day."""
    src, dst = undirected_edges(graph)
    n = graph.n
    sizes = np.empty(reps, dtype=np.int64)
    curves = np.empty((reps, days + 1), dtype=np.int64) if days is not None else None
    for r in range(reps):
        keep = rng.random(len(src)) < edge_p
        adj = sparse.coo_matrix((np.ones(keep.sum(), dtype=np.int8), (src[keep], dst[keep])), shape=(n, n)).tocsr()
        _, labels = csgraph.connected_components(adj, directed=False)
        sizes[r] = np.count_nonzero(np.isin(labels, np.unique(labels[seeds])))
        if days is not None:
            dist = csgraph.dijkstra(adj, directed=False, indices=seeds, unweighted=True, min_only=True)
            d = dist[np.isfinite(dist)].astype(np.int64)
            curves[r] = np.cumsum(np.bincount(np.minimum(d, days + 1), minlength=days + 2))[:days + 1]
            assert curves[r, -1] <= sizes[r] and np.isfinite(dist).sum() == sizes[r]
    return (sizes, curves) if days is not None else sizes


def percolation_threshold(graph) -> float:
    """<k> / (<k^2> - <k>): the bond-percolation threshold of a configuration graph with this degree sequence."""
    k = np.diff(graph.indptr).astype(float)
    return float(k.mean() / ((k ** 2).mean() - k.mean()))


def cascade_check(runs: list[CascadeRun], edge_p: float, reps: int, rng: np.random.Generator,
                  k: float = K_SE) -> dict:
    """Mean final size of the engine vs percolation on the same graphs and seed sets.

    Paired test: d_s = engine final size - mean of ``reps`` percolation sizes, for seed s; |mean d| <= k SE(d).
    Also the unpaired tolerance k sqrt(SE1^2 + SE2^2) (more conservative: pairing removes the
    graph-to-graph and seed-set-to-seed-set spread the two share)."""
    x = np.array([r.final for r in runs], dtype=float)
    y = np.array([percolation_sizes(r.graph, r.seeds, edge_p, reps, rng) for r in runs], dtype=float)
    d = x - y.mean(axis=1)
    se_d = d.std(ddof=1) / np.sqrt(len(d))
    se_x = x.std(ddof=1) / np.sqrt(len(x))
    se_y = y.mean(axis=1).std(ddof=1) / np.sqrt(len(x))  # one percolation mean per (graph, seed set)
    if np.ptp(y.mean(axis=1)) == 0 or len(runs) < 2:
        se_y = 0.0
    tol_unpaired = k * np.hypot(se_x, se_y)
    return {"n": int(runs[0].graph.n), "seeds": len(runs), "reps": reps, "edge_p": edge_p,
            "sim_mean": float(x.mean()), "sim_se": float(se_x), "perc_mean": float(y.mean()), "perc_se": float(se_y),
            "diff": float(d.mean()), "diff_se": float(se_d), "tol_paired": float(k * se_d),
            "tol_unpaired": float(tol_unpaired), "z_paired": float(d.mean() / se_d) if se_d > 0 else 0.0,
            "ok": bool(abs(d.mean()) <= k * se_d and abs(x.mean() - y.mean()) <= tol_unpaired),
            "per_seed_sim": x.tolist(), "per_seed_perc_mean": y.mean(axis=1).tolist()}


def last_join_day(run: CascadeRun) -> int:
    """The last day anyone joined (0 if only the seeds)."""
    grew = np.flatnonzero(np.diff(run.members))
    return int(grew[-1] + 1) if grew.size else 0


def ci95(x: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and half-width of the t 95% interval along ``axis`` (``sim.measures.stats.half_width``)."""
    x = np.asarray(x, dtype=float)
    return x.mean(axis=axis), half_width(x.std(axis=axis, ddof=1), x.shape[axis])


# ---------------------------------------------------------------- the study (plots and numbers)
def _false_alarm(p, q, n, days, seeds, batches, rng, q_true=None) -> float:
    """Share of batches of ``seeds`` exact-chain runs (with imitation ``q_true``, default q) that fail
    the Bass test against the recursion with q: the false-alarm rate (q_true = q) or the power."""
    ref = bass_recursion(p, q, days)
    fails = 0
    for _ in range(batches):
        fails += not bass_check(bass_chain(p, q if q_true is None else q_true, n, days, seeds, rng), ref)["ok"]
    return fails / batches


def study_bass(n: int, seeds: int, days: int, batches: int, test_n: int, test_seeds: int, test_days: int) -> dict:
    rng = np.random.default_rng(2024)
    out = []
    for p, q in BASS_PAIRS:
        t0 = time.perf_counter()
        sim = bass_fractions(p, q, n, days, range(seeds))
        wall = time.perf_counter() - t0
        rec, closed = bass_recursion(p, q, days), bass_closed_form(p, q, np.arange(days + 1))
        exact = bass_chain(p, q, n, days, 50_000, rng).mean(axis=0)  # the chain's mean, SE < 1e-4
        chk = bass_check(sim, rec)
        mean, half = ci95(sim)
        sd_sim, sd_chain = sim.std(axis=0, ddof=1), bass_chain(p, q, n, days, 50_000, rng).std(axis=0)
        half_day = int(np.argmax(rec >= 0.5))
        out.append({
            "p": p, "q": q, "n": n, "seeds": seeds, "days": days, "wall_s": wall,
            "days_to_half_recursion": half_day,
            "days_to_half_closed_form": float(np.log(q / p) / (p + q)),
            "max_abs_mean_minus_recursion": float(chk["err"].max()),
            "max_ratio_err_to_tolerance": chk["worst_ratio"], "pass": chk["ok"],
            "max_abs_recursion_minus_exact_mean": float(np.abs(rec - exact).max()),
            "closed_minus_recursion_max": float((closed - rec).max()),
            "closed_minus_recursion_argmax_day": int(np.argmax(closed - rec)),
            "closed_minus_recursion_min": float((closed - rec).min()),
            "closed_minus_recursion_argmin_day": int(np.argmin(closed - rec)),
            "sd_ratio_sim_to_chain_at_half": float(sd_sim[half_day] / sd_chain[half_day]),
            "test_false_alarm_rate": _false_alarm(p, q, test_n, test_days, test_seeds, batches, rng),
            "test_power_q_minus_5pct": _false_alarm(p, q, test_n, test_days, test_seeds, batches // 10, rng, 0.95 * q),
            "test_power_q_minus_2pct": _false_alarm(p, q, test_n, test_days, test_seeds, batches // 10, rng, 0.98 * q),
            "test_batches": batches, "test_n": test_n, "test_seeds": test_seeds,
            "curves": {"day": list(range(days + 1)), "mean": mean.tolist(), "ci95": half.tolist(),
                       "recursion": rec.tolist(), "closed_form": closed.tolist(), "exact_chain_mean": exact.tolist()},
        })
        r = out[-1]
        print(f"bass p={p} q={q}: N={n} x {seeds} seeds ({wall:.1f} s); max|mean-recursion| "
              f"{r['max_abs_mean_minus_recursion']:.4f} ({r['max_ratio_err_to_tolerance']:.2f} of tolerance) "
              f"{'PASS' if r['pass'] else 'FAIL'}; closed-recursion gap {r['closed_minus_recursion_max']:+.4f} "
              f"(day {r['closed_minus_recursion_argmax_day']}) .. {r['closed_minus_recursion_min']:+.4f}; "
              f"false alarms {r['test_false_alarm_rate']:.4f}, power q-5% {r['test_power_q_minus_5pct']:.2f}, "
              f"q-2% {r['test_power_q_minus_2pct']:.2f}")
    return {"pairs": out}


def study_cascade(n: int, m: int, seeds: int, reps: int, edge_ps, days: int, curve_p: float) -> dict:
    rng = np.random.default_rng(7)
    rows, curve = [], None
    for ep in edge_ps:
        cfg = cascade_config(["graph=barabasi_albert", f"graph.m={m}", f"population.size={n}"], 0.01, ep, days)
        t0 = time.perf_counter()
        runs = cascade_runs(cfg, range(seeds))
        wall = time.perf_counter() - t0
        if not all(r.finished for r in runs):
            raise RuntimeError(f"edge_p={ep}: a cascade was still running on day {days}; raise days")
        chk = cascade_check(runs, ep, reps, rng)
        mean, half = ci95(np.array(chk["per_seed_sim"]) / n)
        pm, ph = ci95(np.array(chk["per_seed_perc_mean"]) / n)
        rows.append({**chk, "sim_frac": float(mean), "sim_frac_ci95": float(half), "perc_frac": float(pm),
                     "perc_frac_ci95": float(ph), "wall_s": wall,
                     "last_join_day": max(last_join_day(r) for r in runs),
                     "threshold": float(np.mean([percolation_threshold(r.graph) for r in runs]))})
        print(f"cascade BA n={n} m={m} edge_p={ep}: engine {mean:.4f} +- {half:.4f}, percolation {pm:.4f} +- {ph:.4f}, "
              f"paired z {chk['z_paired']:+.2f} {'PASS' if chk['ok'] else 'FAIL'} ({wall:.1f} s, last join day "
              f"{rows[-1]['last_join_day']})")
        if ep == curve_p:
            sim_c = np.array([r.members for r in runs], dtype=float) / n
            perc_c = np.array([percolation_sizes(r.graph, r.seeds, ep, reps, rng, days)[1].mean(axis=0)
                               for r in runs]) / n
            d = sim_c - perc_c
            se = d.std(axis=0, ddof=1) / np.sqrt(len(d))
            curve = {"edge_p": ep, "day": list(range(days + 1)), "sim": sim_c.mean(0).tolist(),
                     "sim_ci95": ci95(sim_c)[1].tolist(), "perc": perc_c.mean(0).tolist(),
                     "max_ratio_err_to_tolerance": float(np.max(np.abs(d.mean(0)) / (K_SE * se + CASCADE_FLOOR)))}
    return {"graph": f"barabasi_albert n={n} m={m}", "seed_fraction": 0.01, "seeds": seeds, "reps": reps,
            "days": days, "rows": rows, "curve": curve,
            "threshold": float(np.mean([r["threshold"] for r in rows]))}


def plot_bass(res: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    pairs = res["pairs"]
    fig, axes = plt.subplots(2, len(pairs), figsize=(5.2 * len(pairs), 6.6), sharex="col",
                             gridspec_kw={"height_ratios": [2, 1.2]})
    for j, r in enumerate(pairs):
        c = r["curves"]
        day, mean, half = np.array(c["day"]), np.array(c["mean"]), np.array(c["ci95"])
        rec, closed = np.array(c["recursion"]), np.array(c["closed_form"])
        last = min(len(day) - 1, int(np.argmax(rec > 0.999)) + 6 if (rec > 0.999).any() else len(day) - 1)
        sl = slice(0, last + 1)
        ax = axes[0, j]
        ax.fill_between(day[sl], (mean - half)[sl], (mean + half)[sl], color="C0", alpha=0.3, lw=0,
                        label=f"engine: mean, 95% CI ({r['seeds']} seeds)")
        ax.plot(day[sl], mean[sl], color="C0", lw=1.5)
        ax.plot(day[sl], rec[sl], "k--", lw=1.2, label="discrete recursion")
        ax.plot(day[sl], closed[sl], color="C3", lw=1.2, label="closed form (continuous)")
        ax.set_title(f"Bass p={r['p']}, q={r['q']}, N={r['n']:,}")
        ax.set_ylabel("member fraction F(t)")
        ax.legend(loc="lower right", fontsize=8)
        ax = axes[1, j]
        ax.axhline(0, color="k", lw=0.8, ls="--")
        ax.fill_between(day[sl], (mean - half - rec)[sl], (mean + half - rec)[sl], color="C0", alpha=0.3, lw=0,
                        label="engine - recursion (95% CI)")
        ax.plot(day[sl], (closed - rec)[sl], color="C3", lw=1.2, label="closed form - recursion")
        ax.set_xlabel("day")
        ax.set_ylabel("difference")
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_cascade(res: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = res["rows"]
    ep = np.array([r["edge_p"] for r in rows])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3), gridspec_kw={"width_ratios": [1.4, 1]})
    ax = axes[0]
    ax.errorbar(ep, [r["sim_frac"] for r in rows], yerr=[r["sim_frac_ci95"] for r in rows], fmt="o", ms=4,
                capsize=3, color="C0", label=f"engine (cascade), mean and 95% CI, {res['seeds']} seeds")
    ax.plot(ep, [r["perc_frac"] for r in rows], "k--", lw=1.2,
            label=f"bond percolation, same graphs and seed sets ({res['reps']} draws each)")
    ax.axvline(res["threshold"], color="C3", lw=1, ls=":",
               label=f"threshold <k>/(<k²>-<k>) = {res['threshold']:.3f}")
    ax.set_xlabel("edge probability")
    ax.set_ylabel("final member fraction")
    ax.set_title(f"Independent cascade, {res['graph']}, 1% random seeds")
    ax.legend(fontsize=8, loc="upper left")
    c = res["curve"]
    if c:
        ax = axes[1]
        day, sim, half, perc = (np.array(c[k]) for k in ("day", "sim", "sim_ci95", "perc"))
        last = int(np.argmax(perc >= perc[-1] - 1e-12)) + 3
        sl = slice(0, min(last, len(day) - 1) + 1)
        ax.fill_between(day[sl], (sim - half)[sl], (sim + half)[sl], color="C0", alpha=0.3, lw=0)
        ax.plot(day[sl], sim[sl], "o-", color="C0", ms=3, label="engine: members by day (95% CI)")
        ax.plot(day[sl], perc[sl], "k--", lw=1.2, label="percolation: reached within t steps")
        ax.set_xlabel("day")
        ax.set_ylabel("member fraction")
        ax.set_title(f"timing at edge probability {c['edge_p']}")
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_csvs(bass: dict, cascade: dict, out: Path) -> None:
    import pandas as pd
    frames = []
    for r in bass["pairs"]:
        c = r["curves"]
        frames.append(pd.DataFrame({"p": r["p"], "q": r["q"], "n": r["n"], "seeds": r["seeds"], "day": c["day"],
                                    "engine_mean": c["mean"], "engine_ci95": c["ci95"], "recursion": c["recursion"],
                                    "closed_form": c["closed_form"], "exact_chain_mean": c["exact_chain_mean"]}))
    pd.concat(frames).to_csv(out / "bass.csv", index=False, float_format="%.6g")
    cols = ["edge_p", "n", "seeds", "reps", "sim_frac", "sim_frac_ci95", "perc_frac", "perc_frac_ci95", "diff",
            "diff_se", "z_paired", "ok", "threshold", "last_join_day"]
    pd.DataFrame([{k: r[k] for k in cols} for r in cascade["rows"]]).to_csv(out / "cascade.csv", index=False,
                                                                            float_format="%.6g")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.validate", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke check)")
    ap.add_argument("--out", default="outputs/validation",
                    help="output folder (the committed reference: --out results/validation --img docs/img)")
    ap.add_argument("--img", default=None, help="folder of the two plots (default: --out)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.quick:
        bass = study_bass(n=2000, seeds=8, days=40, batches=50, test_n=2000, test_seeds=8, test_days=40)
        cascade = study_cascade(n=2000, m=3, seeds=6, reps=3, edge_ps=(0.1, 0.3), days=60, curve_p=0.1)
    else:
        # the study: N = 10,000 x 40 seeds; the test's settings (tests/test_validation.py) for the
        # false-alarm and power estimates: N = 5,000 x 30 seeds x 40 days
        bass = study_bass(n=10_000, seeds=40, days=50, batches=10_000, test_n=5000, test_seeds=30, test_days=40)
        cascade = study_cascade(n=10_000, m=3, seeds=20, reps=10, days=120, curve_p=0.1,
                                edge_ps=(0.02, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3,
                                         0.4, 0.5))
    out, img = Path(args.out), Path(args.img or args.out)
    out.mkdir(parents=True, exist_ok=True)
    img.mkdir(parents=True, exist_ok=True)
    plot_bass(bass, img / "validation_bass.png")
    plot_cascade(cascade, img / "validation_cascade.png")
    write_csvs(bass, cascade, out)
    from experiments.bench import machine
    (out / "validation.json").write_text(json.dumps({"machine": machine(), "bass": bass, "cascade": cascade,
                                                     "k_se": K_SE, "bass_floor": BASS_FLOOR,
                                                     "wall_s": time.perf_counter() - t0}, indent=1))
    print(f"wrote {img / 'validation_bass.png'}, {img / 'validation_cascade.png'}, {out}/validation.json, "
          f"bass.csv, cascade.csv ({time.perf_counter() - t0:.0f} s)")
    ok = all(r["pass"] for r in bass["pairs"]) and all(r["ok"] for r in cascade["rows"])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
