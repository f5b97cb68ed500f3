"""``growthsim experiment=optimize experiment.budget=YUAN experiment.objective=...``: the best plan of levers
for a budget (docs/data.md, "Best plan for a budget").

Search: Optuna (Akiba et al. 2019), TPE (``sampler: tpe``, one objective, the budget as a constraint) or
NSGA-II (``sampler: nsga2``, the cost-versus-outcome Pareto front, the budget as a constraint), over the
incentive scheme with its reward and threshold, the group cap and split rule, the cadence and the operator
routine. Every trial runs the same paired seeds (common random numbers), so trials differ by their levers,
not by chance; on a fitted community (``experiment.fitted``) the levers launch after its history and seed i
takes kept set i. The study lives in a journal file in the output folder: the same command resumes it.

Finalists: the ``finalists`` best trials within the budget run again on ``final_seeds`` fresh seeds (and
as many kept sets): their outcome and cost with intervals decide the plan. Writes ``study.log``,
``trials.csv``, ``finalists.csv``, ``pareto.png``, ``plan.json`` and ``report.md`` (last)."""

from __future__ import annotations

import functools
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from experiments.runner import ExperimentError, Job, RunsFailed, atomic_write, begin_outputs, command_line_overrides, \
    execute, figure, md_table, paired_jobs, reported, save_figure
from experiments.schema import BudgetPlan, parse
from sim.app.run import OUTPUTS
from sim.measures import stats

OBJECTIVES = {  # objective -> what it counts at the horizon (read off a run's daily series by ``outcome``)
    "retained": "members on the last day",
    "weekly_active": "weekly active members on the last day",
    "purchases": "purchases from the launch on",
    "referral": "members who joined by referral from the launch on",
}
INCENTIVES = ["none", "invite_reward", "points", "status", "value"]
CADENCES = ["none", "daily_promo", "mix_20_30_50", "mix_70_20_10", "three_two_one", "tiered"]
ROUTINES = ["none", "broadcast", "dashboard", "rfm"]
SPLIT_RULES = ["random", "interest", "community"]
FINAL_SEED = 1000  # finalists run on seeds 1000.., never the trials' 0..


def levers(trial) -> list[str]:
    """The overrides of one trial: its incentive scheme with its main parameters, its group policy, its
    cadence and its operator routine (the search space; Optuna asks conditionally)."""
    scheme = trial.suggest_categorical("incentive", INCENTIVES)
    out = [f"incentive={scheme}"]
    if scheme == "invite_reward":
        out += [f"incentive.reward={trial.suggest_float('reward', 10.0, 500.0, log=True):.4g}",
                f"incentive.threshold={trial.suggest_int('threshold', 1, 10)}"]
    elif scheme == "points":
        out += [f"incentive.invite_points={trial.suggest_float('invite_points', 1.0, 50.0, log=True):.4g}"]
    elif scheme == "value":
        out += [f"incentive.content_cost={trial.suggest_float('content_cost', 20.0, 1000.0, log=True):.4g}"]
    policy = trial.suggest_categorical("groups", ["cap", "split"])
    out += [f"groups={policy}", f"groups.cap={trial.suggest_int('cap', 100, 500, step=50)}"]
    if policy == "split":
        out += [f"groups.rule={trial.suggest_categorical('split_rule', SPLIT_RULES)}"]
    out += [f"cadence={trial.suggest_categorical('cadence', CADENCES)}",
            f"operations={trial.suggest_categorical('operations', ROUTINES)}"]
    return out


def outcome(objective: str, job: Job) -> tuple[float, float]:
    """(outcome, cost) of one run: the objective at the horizon and the spend from the launch on (module
    level: runs in a worker)."""
    from sim.app.run import simulate

    ts = simulate(job.cfg, progress=False).timeseries
    since = max(int(job.cfg.launch), 1)
    after = ts[ts["day"] >= since]
    value = {"retained": lambda: ts["members"].iloc[-1], "weekly_active": lambda: ts["weekly_active"].iloc[-1],
             "purchases": lambda: after["purchases"].sum(),
             "referral": lambda: after["new_by_referral"].sum()}[objective]()
    return float(value), float(after["reward_cost"].sum())


class Plans:
    """Evaluates plans (lists of lever overrides) on the community: the common overrides, then the plan's."""

    def __init__(self, spec: BudgetPlan, base: list[str]):
        from experiments.fit import FittedCommunity

        self.spec = spec
        self.fitted = FittedCommunity.load(spec.fitted) if spec.fitted else None
        self.common = base if self.fitted is None else self.fitted.forecast(spec.horizon, base)

    def __call__(self, plan: list[str], seeds: list[int], name: str) -> np.ndarray:
        """[seeds, 2]: outcome and cost of the plan on each seed."""
        jobs = paired_jobs({name: [*self.common, *plan]}, seeds)
        if self.fitted is not None:
            self.fitted.launch(jobs, self.common)
        results, failed = execute(functools.partial(outcome, self.spec.objective), jobs, self.spec.workers,
                                  progress=False)
        if failed:
            raise RunsFailed(f"{name}: {len(failed)} of {len(jobs)} runs failed, e.g. seed {failed[0][0].seed}: "
                             f"{failed[0][1]}")
        return np.array(results, dtype=float)


def study(spec: BudgetPlan, out: Path, plans: Plans, progress: bool):
    """Run (or resume) the search; return the Optuna study with ``trials`` finished trials."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seeds = list(range(spec.seeds))

    def evaluate(trial) -> float | tuple[float, float]:
        plan = levers(trial)
        got = plans(plan, seeds, f"trial {trial.number}")
        trial.set_user_attr("plan", plan)
        trial.set_user_attr("cost", float(got[:, 1].mean()))
        trial.set_user_attr("outcome", float(got[:, 0].mean()))
        trial.set_constraint("budget", float(got[:, 1].mean()) - spec.budget)  # feasible when <= 0
        return (float(got[:, 0].mean()), float(got[:, 1].mean())) if spec.sampler == "nsga2" else float(got[:, 0].mean())

    sampler = (optuna.samplers.NSGAIISampler(seed=spec.search_seed) if spec.sampler == "nsga2" else
               optuna.samplers.TPESampler(seed=spec.search_seed, n_startup_trials=8))
    storage = JournalStorage(JournalFileBackend(str(out / "study.log")))
    directions = ["maximize", "minimize"] if spec.sampler == "nsga2" else ["maximize"]
    s = optuna.create_study(study_name="optimize", storage=storage, sampler=sampler, directions=directions,
                            load_if_exists=True)
    done = len([t for t in s.trials if t.state == optuna.trial.TrialState.COMPLETE])
    from tqdm.auto import tqdm
    with tqdm(total=spec.trials, initial=min(done, spec.trials), desc="trials", unit="trial",
              disable=not progress, leave=False) as bar:
        for _ in range(max(0, spec.trials - done)):
            s.optimize(evaluate, n_trials=1)
            bar.update()
    return s


def trial_table(s) -> pd.DataFrame:
    import optuna
    rows = [{"trial": t.number, "outcome": t.user_attrs["outcome"], "cost": t.user_attrs["cost"],
             "plan": " ".join(t.user_attrs["plan"])} for t in s.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return pd.DataFrame(rows)


def summarize(name: str, plan: str, got: np.ndarray, budget: float, level: float) -> dict:
    """A finalist on fresh seeds: outcome and cost, each with the mean's interval and the runs' range."""
    a = (1 - level) / 2
    row = {"name": name, "plan": plan}
    for k, col in (("outcome", 0), ("cost", 1)):
        est = stats.mean_ci(got[:, col], level)
        low, high = np.quantile(got[:, col], [a, 1 - a])
        row.update({k: est.value, f"{k}_ci_low": est.low, f"{k}_ci_high": est.high, f"{k}_low": float(low),
                    f"{k}_high": float(high)})
    row["cost_crosses_budget"] = bool(row["cost_high"] > budget)
    row["within_budget"] = bool(row["cost"] <= budget)
    return row


def plot(path: Path, trials: pd.DataFrame, finals: pd.DataFrame, spec: BudgetPlan) -> None:
    fig, axes = figure(1, 1, figsize=(6.5, 4.5), layout="constrained")
    ax = axes[0, 0]
    ok = trials.cost <= spec.budget
    ax.scatter(trials.cost[ok], trials.outcome[ok], s=14, color="tab:blue", label="trial within budget")
    ax.scatter(trials.cost[~ok], trials.outcome[~ok], s=14, color="0.7", label="trial over budget")
    front = _front(trials)
    ax.step(front.cost, front.outcome, where="post", color="tab:blue", lw=1, alpha=0.6, label="Pareto front")
    for r in finals.itertuples():
        ax.errorbar(r.cost, r.outcome, xerr=[[r.cost - r.cost_low], [r.cost_high - r.cost]],
                    yerr=[[r.outcome - r.outcome_low], [r.outcome_high - r.outcome]], fmt="o", color="tab:red", ms=5)
        ax.annotate(r.name, (r.cost, r.outcome), fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.axvline(spec.budget, color="tab:red", ls="--", lw=0.8, label="budget")
    ax.set_xlabel("cost from the launch on (yuan)")
    ax.set_ylabel(OBJECTIVES[spec.objective])
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    save_figure(fig, path, 110)


def _front(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials no other beats on both cost (lower) and outcome (higher), by cost."""
    t = trials.sort_values(["cost", "outcome"], ascending=[True, False])
    return t[t.outcome > t.outcome.cummax().shift(fill_value=-math.inf)]


def write_report(spec: BudgetPlan, plan: dict, trials: pd.DataFrame, finals: pd.DataFrame, plans: Plans) -> str:
    best = plan["recommended"]
    lvl = f"{spec.level:.0%}"
    lines = ["# The best plan for the budget", "",
             f"Objective: **{OBJECTIVES[spec.objective]}** ({spec.objective}) at the horizon; budget "
             f"{spec.budget:,.0f} yuan. Search: Optuna {spec.sampler.upper()}, {len(trials)} trials on seeds "
             f"0..{spec.seeds - 1} (the same in every trial); the {len(finals)} best within the budget ran again "
             f"on {spec.final_seeds} fresh seeds{' and kept sets' if plans.fitted else ''}.", ""]
    if best is None:
        lines += ["**No trial kept its mean cost within the budget**: raise the budget or widen the search.", ""]
    else:
        lines += [f"**Recommended**: `{best['plan']}`", "",
                  f"- outcome {best['outcome']:,.1f} ({lvl} CI of the mean {best['outcome_ci_low']:,.1f} .. "
                  f"{best['outcome_ci_high']:,.1f}; {lvl} of runs {best['outcome_low']:,.1f} .. {best['outcome_high']:,.1f})",
                  f"- cost {best['cost']:,.0f} yuan ({lvl} of runs {best['cost_low']:,.0f} .. {best['cost_high']:,.0f})"
                  + ("; **flagged: the cost range crosses the budget**" if best["cost_crosses_budget"] else ""), ""]
        if plan["runner_up"] is not None:
            r = plan["runner_up"]
            lines += [f"Runner-up: `{r['plan']}`: outcome {r['outcome']:,.1f}, cost {r['cost']:,.0f} yuan.", ""]
    lines += ["## What the plan assumes", "", *[f"- {a}" for a in plan["assumes"]], "",
              "## Finalists (fresh seeds)", "",
              md_table(["finalist", "plan", "outcome", f"outcome {lvl} of runs", "cost", f"cost {lvl} of runs",
                        "crosses budget"],
                       [[r.name, f"`{r.plan}`", f"{r.outcome:,.1f}", f"{r.outcome_low:,.1f} .. {r.outcome_high:,.1f}",
                         f"{r.cost:,.0f}", f"{r.cost_low:,.0f} .. {r.cost_high:,.0f}",
                         "yes" if r.cost_crosses_budget else "no"] for r in finals.itertuples()]),
              "", "![cost versus outcome](pareto.png)", ""]
    return "\n".join(lines)


def run(cfg: DictConfig, overrides: list[str] | None = None) -> Path:
    """The driver named ``optimize`` (entry point ``growthsim.drivers``)."""
    progress = bool(cfg.get("progress", True))
    with reported():
        spec = parse(BudgetPlan, cfg.experiment)
        base = command_line_overrides() if overrides is None else list(overrides)
        plans = Plans(spec, base)
        out = begin_outputs(spec.out_dir or OUTPUTS / spec.name, "report.md")
        stamp = out / "definition.json"
        mine = json.dumps({"objective": spec.objective, "budget": spec.budget, "sampler": spec.sampler,
                           "seeds": spec.seeds, "search_seed": spec.search_seed, "horizon": spec.horizon,
                           "fitted": str(spec.fitted),
                           "common": [o for o in plans.common if not o.lstrip("+~").startswith("experiment")]},
                          sort_keys=True)
        if stamp.is_file() and stamp.read_text() != mine:
            raise ExperimentError(f"experiment.out_dir={out}: its study.log holds trials of another search (objective, "
                                  "budget, seeds or community): choose another experiment.out_dir, or remove that "
                                  "folder to start over")
        atomic_write(stamp, mine)
        s = study(spec, out, plans, progress)
        trials = trial_table(s)
        feasible = trials[trials.cost <= spec.budget].sort_values("outcome", ascending=False)
        fresh = list(range(FINAL_SEED, FINAL_SEED + spec.final_seeds))
        finals = pd.DataFrame([summarize(f"trial {r.trial}", r.plan, plans(r.plan.split(), fresh, f"trial {r.trial}"),
                                         spec.budget, spec.level) for r in feasible.head(spec.finalists).itertuples()])
    picks = finals[finals.within_budget].sort_values("outcome", ascending=False).to_dict("records") \
        if len(finals) else []
    assumes = [f"the community of {'the fit in ' + str(plans.fitted.folder) if plans.fitted else 'the config'}"
               + (f", the levers launching on day {plans.fitted.days + 1} for {spec.horizon} days" if plans.fitted
                  else f", for its {cfg.days} days"),
               "the behaviour " + ("of the fit's kept sets (one per seed): what the history did not identify stays "
                                   "as uncertain as the prior (the fit's report)" if plans.fitted else
                                   "of the config (no ensemble: seed uncertainty only)"),
               *(["the group policy (cap, split rule) shapes the groups from day 1: a plan that changes it also "
                  "replays the history under it (groups are not re-formed at the launch)"] if plans.fitted else []),
               "cost = the levers' spend in the model (rewards, points, badges, content, streaks) from the launch on; "
               "staff and tools outside the model are not counted",
               f"the search saw {spec.seeds} seeds per trial: the finalists' fresh seeds are the evidence"]
    plan = {"objective": spec.objective, "measure": OBJECTIVES[spec.objective], "budget": spec.budget,
            "horizon": spec.horizon if plans.fitted else None, "sampler": spec.sampler, "trials": len(trials),
            "recommended": _plain(picks[0]) if picks else None,
            "runner_up": _plain(picks[1]) if len(picks) > 1 else None, "assumes": assumes}
    atomic_write(out / "trials.csv", lambda p: trials.to_csv(p, index=False, float_format="%.6g"))
    atomic_write(out / "finalists.csv", lambda p: finals.to_csv(p, index=False, float_format="%.6g"))
    atomic_write(out / "plan.json", json.dumps(plan, indent=1))
    plot(out / "pareto.png", trials, finals, spec)
    text = write_report(spec, plan, trials, finals, plans)
    atomic_write(out / "report.md", text)
    print(text.split("## What the plan assumes")[0])
    print(f"outputs: {out}  (report: {out / 'report.md'})", file=sys.stderr)
    return out


def _plain(row: dict) -> dict:
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
