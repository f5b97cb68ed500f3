"""Case measures (sim/measures/cases.py), case configs (conf/case/), the reproduction driver (experiments/cases.py)
and the calibration (experiments/calibrate.py).

The measures are checked against hand-worked toy traces and against the engine's own time series;
the case configs against their contract (the two arms differ only in the case's lever, every case reads
the same global behavioural parameters); and the reproduction itself in fast mode (each case's
``fast`` overrides, 4 seeds) against the case targets with the case tolerances. The full
reproduction (20 seeds, full size, about 2 minutes on 2 cores) is marked slow.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from omegaconf import OmegaConf

from experiments import calibrate as cal
from experiments import cases as ex
from experiments.runner import ExperimentError, Job, RunsFailed
from experiments.schema import Case, Target, case_from
from sim.measures import cases as cm
from sim.components.operations import CORE, DORMANT, POTENTIAL

FAST_SEEDS = [0, 1, 2, 3]

# Targets reached in the full run (20 seeds) that 4 seeds in fast mode do not settle (non-strict xfail
# in fast mode only; the full run, -m slow, checks them without it).
FAST_UNSETTLED: dict[str, str] = {
    "C06:layer_retention[layer=core,day=28]:treatment vs baseline": "a ratio of two small segments: with 4 seeds "
        "the interval is about +-25 points (fast mode: +27.6 [2.9, 52.4]; full run: +28.8 [23.5, 34.1])",
}


# ---------------------------------------------------------------- toy traces
def toy(member, active, silent=None, bought=None, layers=None, **model):
    """A Trace built from [day, person] 0/1 lists; ``model`` sets the final person columns."""
    tr = object.__new__(cm.Trace)
    tr.member = np.asarray(member, dtype=bool)
    tr.active = np.asarray(active, dtype=bool)
    tr.days, tr.n = tr.member.shape[0] - 1, tr.member.shape[1]
    tr.silent = np.zeros_like(tr.member) if silent is None else np.asarray(silent, dtype=bool)
    tr.silent_start = np.vstack([tr.silent, np.zeros((1, tr.n), dtype=bool)])  # toy: the same days
    tr.bought = np.zeros_like(tr.member) if bought is None else np.asarray(bought, dtype=bool)
    tr.layers = {d: np.asarray(v, dtype=np.int8) for d, v in (layers or {}).items()}
    tr.layer_days = tuple(tr.layers)
    cols = {"influence": np.ones(tr.n), "interest_base": np.ones(tr.n), "referrer": np.full(tr.n, -1),
            "joined": np.zeros(tr.n, dtype=int)}
    cols.update({k: np.asarray(v) for k, v in model.items()})
    tr.model = SimpleNamespace(**cols)
    return tr


def test_weekly_active_share_counts_the_7_days_ending_on_the_day():
    days = 12
    member = np.ones((days + 1, 2))
    active = np.zeros((days + 1, 2))
    active[1, 0] = 1   # person 0 takes part on day 1 only: active in the 7 days ending on days 1..7
    active[10, 1] = 1  # person 1 on day 10: days 10..12
    v = cm.weekly_active_share(toy(member, active), window=3)
    assert v.series[1:8].tolist() == [0.5] * 7 and v.series[8:10].tolist() == [0, 0]
    assert v.series[10:].tolist() == [0.5] * 3
    assert v.value == pytest.approx(0.5)  # mean over days 10..12


def test_wakeup_rate_counts_each_silence_spell_once():
    days = 30
    member = np.ones((days + 1, 3))
    silent = np.zeros((days + 1, 3))
    active = np.zeros((days + 1, 3))
    silent[6:12, 0] = 1         # person 0 falls silent on the morning of day 6, takes part on day 11
    active[11, 0] = 1
    silent[18:, 0] = 1          # ... and again on day 18, for good
    silent[8:, 1] = 1           # person 1 falls silent on day 8, never takes part again
    silent[25:, 2] = 1          # person 2 falls silent on day 25 (the last counted start is 30 - 6 + 1 = 25)
    v = cm.wakeup_rate(toy(member, active, silent), horizon=6, start=5)
    # spells starting on days 5..25: person 0 on day 6 (woken on day 11, within 6..11) and day 18 (not),
    # person 1 on day 8 (not), person 2 on day 25 (not): 1 of 4
    assert v.value == pytest.approx(1 / 4)
    assert v.series[6] == 1 and v.series[8] == 0 and math.isnan(v.series[7])  # no spell starts on day 7
    assert math.isnan(v.series[26])


def test_silent_list_wakeup_follows_the_list_of_one_morning():
    days = 20
    member = np.ones((days + 1, 4))
    silent = np.zeros((days + 1, 4))
    active = np.zeros((days + 1, 4))
    silent[5:, [0, 1, 2]] = 1     # persons 0, 1, 2 on the list on the morning of day 8; person 3 not
    active[12, 0] = 1             # person 0 back on day 12 (within days 8..13)
    active[15, 1] = 1             # person 1 on day 15: too late
    active[9, 3] = 1              # person 3 was not on the list
    v = cm.silent_list_wakeup(toy(member, active, silent), day=8, horizon=6)
    assert v.value == pytest.approx(1 / 3)
    assert v.series[11] == 0 and v.series[12] == pytest.approx(1 / 3) and math.isnan(v.series[14])
    with pytest.raises(ValueError):
        cm.silent_list_wakeup(toy(member, active, silent), day=18, horizon=6)


def test_the_morning_silent_list_is_whom_a_silent_action_reaches():
    from conftest import small

    cfg = small("seed=2", "population.initial_members=500", "days=30", "operations=none",
                "operations.mode=silent_push", "operations.actions=[{target:silent,event:benefit_push,every:1}]")
    tr = cm.run_trace(cfg)
    reached = tr.model.recorder.frame()["actions"].to_numpy()
    assert (tr.silent_start[1:tr.days + 1].sum(axis=1) == reached[1:]).all()


def test_core_participation_follows_the_top_day0_members():
    days = 4
    member = np.ones((days + 1, 10))
    active = np.zeros((days + 1, 10))
    active[1:, 9] = 1                       # the top member by influence x interest takes part every day
    active[1:, 0] = 1                       # a low one too: not core
    tr = toy(member, active, influence=np.arange(1, 11, dtype=float))
    v = cm.core_participation(tr, top=0.1, window=4)
    assert v.value == 1.0
    active[1:, 9] = 0
    assert cm.core_participation(toy(member, active, influence=np.arange(1, 11, dtype=float)), top=0.2).value == 0


def test_cohort_measures_use_members_who_joined_by_invitation():
    days = 10
    member = np.ones((days + 1, 4))
    active = np.zeros((days + 1, 4))
    bought = np.zeros((days + 1, 4))
    active[9, 1] = 1
    bought[[2, 5], 1] = 1                   # person 1 bought twice
    bought[3, 2] = 1                        # person 2 once
    bought[[2, 4, 6], 0] = 1                # person 0 (organic) three times: not in the cohort
    tr = toy(member, active, bought=bought, referrer=[-1, 0, 0, 0])
    assert cm.cohort_repurchase(tr).value == pytest.approx(1 / 2)
    assert cm.cohort_active_share(tr, within=7, window=2).value == pytest.approx(1 / 3)
    assert cm.cohort_active_share(tr, within=1, window=2).value == pytest.approx(1 / 6)  # day 9 only


def test_layer_measures_follow_the_segment_of_the_layer_day():
    days = 6
    member = np.ones((days + 1, 4))
    member[5:, 3] = 0                       # person 3 leaves on day 5
    active = np.zeros((days + 1, 4))
    active[4, 0] = 1
    bought = np.zeros((days + 1, 4))
    bought[1, 1] = 1                        # before the layer day: does not count
    bought[5, 2] = 1
    layers = {2: [CORE, CORE, POTENTIAL, DORMANT], 6: [CORE, POTENTIAL, POTENTIAL, 0]}
    tr = toy(member, active, bought=bought, layers=layers)
    assert cm.layer_retention(tr, "core", day=2).value == 0.5             # person 0 still core, 1 is not
    assert cm.layer_retention(tr, "core", day=2, criterion="active", window=3).value == 0.5
    assert cm.layer_conversion(tr, "potential", day=2).value == 1.0       # person 2 bought on day 5
    assert cm.segment_monthly_active(tr, "dormant", day=2, window=3).value is not None
    assert math.isnan(cm.segment_monthly_active(tr, "dormant", day=2, window=3).value)  # left: none still in
    with pytest.raises(ValueError):
        cm.layer_conversion(tr, "potential", day=3)


def test_the_declining_segment_took_part_on_fewer_days_in_the_last_month_than_the_month_before():
    days = 60
    member = np.ones((days + 1, 5))
    member[56:, 4] = 0                      # person 4 leaves on day 56: not in the segment of day 56
    active = np.zeros((days + 1, 5))
    active[[3, 10, 20], 0] = 1              # 3 days in days 1-28, 1 in days 29-56: in
    active[40, 0] = 1
    active[5, 1] = 1                        # 1 day, then 3: out
    active[[30, 40, 50], 1] = 1
    active[[2, 30], 3] = 1                  # 1 and 1: out; person 2 never takes part: out
    active[[2, 9], 4] = 1
    active[57:, :] = 1                      # after the segment day: does not count
    tr = toy(member, active)
    assert cm._segment(tr, "declining", 56).tolist() == [True, False, False, False, False]
    v = cm.segment_monthly_active(tr, "declining", day=56, window=3)
    assert v.value == 1.0 and np.isnan(v.series[56])  # person 0 took part on days 58-60
    with pytest.raises(ValueError):
        cm._segment(tr, "declining", 55)   # two whole months needed


def test_the_operators_declining_target_is_the_measures_segment():
    """The engine's target (weekly review, from its count of days taken part) and the measure's segment (from
    the trace) are one definition: on the morning of day 57 the operator reaches exactly the members the
    segment of day 56 holds; before two months have passed, nobody."""
    from conftest import small
    from sim.components.operations import Operations

    cfg = small("seed=7", "population.seeding=random", "population.initial_members=800", "days=57",
                "operations=none", "operations.mode=accompany",
                "operations.actions=[{target:declining,event:accompany,every:1,start:50}]")
    tr = cm.run_trace(cfg)
    ops = next(c for c in tr.model.components if isinstance(c, Operations))
    reached = tr.model.recorder.frame()["actions"].to_numpy()  # members reached, by day
    persons = np.flatnonzero(tr.member[56])
    seg = cm._segment(tr, "declining", 56)
    assert (ops.in_trough(persons, 57) == seg[persons]).all()
    assert 0.1 < seg[persons].mean() < 0.9
    assert reached[50] == 0 and reached[57] == seg.sum()


def test_monthly_retention_and_repurchase():
    days = 6
    member = np.ones((days + 1, 4))
    member[3:, 0] = 0                       # person 0 leaves on day 3
    member[0, 3] = 0                        # person 3 joins on day 1
    v = cm.monthly_retention(toy(member, np.zeros_like(member)), month=2)
    # t=2: 3/3; t=4: members on day 2 (0,1,2,3) -> 3 stay; t=6: 3/3
    assert v.value == pytest.approx((1 + 3 / 4 + 1) / 3)
    bought = np.zeros((days + 1, 4))
    bought[1, [1, 2]] = 1                   # month 1 (days 1-2): persons 1, 2 buy
    bought[3, 1] = 1                        # month 2: person 1 buys again
    bought[6, 1] = 1                        # month 3: person 1 again (bought in month 2)
    r = cm.monthly_repurchase(toy(member, np.zeros_like(member), bought=bought), month=2)
    assert r.value == pytest.approx((1 / 2 + 1 / 1) / 2)


def test_referrer_share_counts_ever_members():
    days = 3
    member = np.zeros((days + 1, 4))
    member[0:, 0] = 1
    member[2:, 1] = 1                       # brought in by 0 on day 2
    member[3:, 2] = 1                       # brought in by 1 on day 3
    tr = toy(member, np.zeros_like(member), referrer=[-1, 0, 1, -1], joined=[0, 2, 3, -1])
    v = cm.referrer_share(tr)
    assert v.value == pytest.approx(2 / 3) and v.series[2] == pytest.approx(1 / 2)


# ---------------------------------------------------------------- measures on a real run
@pytest.fixture(scope="module")
def traced():
    from conftest import small

    cfg = small("seed=5", "population.initial_members=600", "days=40")
    return cm.run_trace(cfg, layer_days=(14,))


def test_trace_agrees_with_the_engines_time_series(traced):
    ts = traced.model.recorder.frame()
    assert (traced.member.sum(axis=1) == ts["members"]).all()
    assert (traced.active.sum(axis=1) == ts["active"]).all()
    assert (traced.silent.sum(axis=1) == ts["silent"]).all()
    assert (traced.bought.sum(axis=1) == ts["purchases"]).all()
    wau = cm.weekly_active_share(traced).series
    # from day 6 on: before it, the engine's weekly_active also counts members who never took part
    # (last_active = -1 > day - 7), reported to the lead
    assert np.allclose(wau[6:], (ts["weekly_active"] / ts["members"])[6:])
    assert cm.daily_interactions(traced, window=10).value == pytest.approx(ts["active"].tail(10).mean())
    assert set(np.unique(traced.layers[14][traced.member[14]])) <= {CORE, POTENTIAL, DORMANT}


def test_every_measure_is_a_share_or_count_on_a_real_run(traced):
    for name, fn in cm.MEASURES.items():
        kw = {"day": 14} if name.startswith(("layer", "segment", "silent_list")) else {}
        if name == "layer_retention":
            kw["criterion"] = "active"
        v = fn(traced, **kw)
        assert len(v.series) == traced.days + 1
        if name != "daily_interactions" and math.isfinite(v.value):
            assert 0 <= v.value <= 1, name


# ---------------------------------------------------------------- the case configs
LEVER_GROUPS = {"groups", "incentive", "cadence", "operations"}


def _diff(a, b, prefix=""):
    keys = set(a) | set(b)
    out = []
    for k in keys:
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += _diff(va, vb, f"{prefix}{k}.")
        elif va != vb:
            out.append(f"{prefix}{k}")
    return out


@pytest.fixture(scope="module")
def composed():
    return {(c.name, arm): ex.compose_arm(c, arm) for c in ex.select_cases(["all"]) for arm in ex.ARMS}


def test_every_case_in_the_table_has_a_config():
    ids = {ex.load_case(n).id for n in ex.case_names()}
    assert ids == {"C01", "C02", "C04", "C05", "C06", "C07", "C08", "C09", "C12", "C14", "C15"}


@pytest.mark.parametrize("name", ex.case_names())
def test_arms_differ_only_in_the_lever(name, composed):
    base = OmegaConf.to_container(composed[name, "baseline"], resolve=True)
    treat = OmegaConf.to_container(composed[name, "treatment"], resolve=True)
    changed = {k.split(".")[0] for k in _diff(base, treat)}
    assert changed and changed <= LEVER_GROUPS, changed
    assert len(changed) == 1  # one lever
    for shared in ("behavior", "events", "population", "days", "graph"):
        assert base[shared] == treat[shared]


def test_every_case_reads_the_global_fitted_parameters(composed):
    """Every arm lists the fit's mechanisms (a case may add its sector's context, e.g. C05's purchase cycle)
    and has every fitted value."""
    fitted = cal.read_fitted("behavior")
    mechanisms = set(fitted.pop("defaults")[0]["/mechanisms"])
    assert mechanisms and any(k.startswith("behavior.") for k in fitted)
    for cfg in composed.values():
        assert mechanisms <= set(cfg.mechanisms)
        for key, value in fitted.items():
            assert OmegaConf.select(cfg, key) == pytest.approx(value), key


def test_fast_mode_changes_only_the_context():
    for case in ex.select_cases(["all"]):
        keys = {o.split("=", 1)[0] for o in case.fast}
        assert keys <= {"population.size", "population.initial_members", "days"}, (case.id, keys)


@pytest.mark.parametrize("node,message", [
    ({"targets": [{"measure": "nope", "kind": "share", "treatment": 0.5}]},
     "case x: targets.0.measure=nope is not an option: choose one of weekly_active_share, daily_interactions"),
    ({"targets": [{"measure": "referrer_share", "kind": "relative"}]}, "case x: targets.0: a relative target needs target"),
    ({"targets": [{"measure": "referrer_share", "kind": "most", "bound": 1}]},
     "case x: targets.0.kind=most is not an option: choose one of share, relative, above, below"),
    ({"targets": []}, "case x: targets=[]: list should have at least 1 item"),
    ({"targets": [{"measure": "referrer_share", "kind": "above", "bound": 0.2}], "treatmnt": ["incentive=points"]},
     "case x: unknown key 'treatmnt': did you mean 'treatment'? (docs/cases.md)"),
    ({"name": "y", "targets": [{"measure": "referrer_share", "kind": "above", "bound": 0.2}]},
     "case x: unknown key 'name'"),
])
def test_bad_case_configs_are_refused_naming_the_key(node, message):
    with pytest.raises(ExperimentError) as err:
        case_from("x", node)
    assert message in str(err.value), str(err.value)


def test_an_unknown_case_is_refused_with_the_cases_there_are():
    with pytest.raises(ExperimentError, match="no case 'c99': choose one of c01, c02"):
        ex.select_cases(["c01", "c99"])


def test_a_failed_case_run_is_reported_and_the_others_kept(monkeypatch):
    """A run that fails does not stop the others; the driver then reports it (exit status 1), naming the run."""
    case = Case(name="x", targets=[Target(measure="referrer_share", kind="above", bound=0.2)])
    jobs = [Job(arm, seed, cfg=None, group="x") for arm in ex.ARMS for seed in (0, 1)]
    ran = []

    def trace(cfg, layer_days):
        ran.append(cfg)
        if len(ran) == 2:
            raise RuntimeError("boom")
        return toy([[1, 1]], [[0, 0]])

    monkeypatch.setattr(ex, "run_trace", trace)
    with pytest.raises(RunsFailed, match=r"1 of 4 case runs failed \(first: x baseline seed 1: RuntimeError: boom\)"):
        ex.measure_runs([case], jobs, [0, 1])
    assert len(ran) == 4


# ---------------------------------------------------------------- tolerance and loss
def _runs(kind, base, treat, **target):
    t = Target(measure="referrer_share", kind=kind, **target)
    case = Case(name="x", targets=[t])
    cr = ex.CaseRuns(case, list(range(len(base))))
    cr.values = {("baseline", t.key): np.asarray(base, float), ("treatment", t.key): np.asarray(treat, float)}
    return case, t, cr


def test_tolerances_and_misses():
    case, t, cr = _runs("share", [0.19, 0.21], [0.57, 0.575], baseline=0.18, treatment=0.59)
    rows = ex.assess_target(case, t, cr)
    assert [r["within_tolerance"] for r in rows] == [True, True]  # 2 pp and 1.75 pp off
    assert ex.miss(t, cr) < 1
    case, t, cr = _runs("share", [0.14, 0.14], [0.59, 0.59], baseline=0.18, treatment=0.59)
    assert [r["within_tolerance"] for r in ex.assess_target(case, t, cr)] == [False, True]
    assert ex.miss(t, cr) == pytest.approx(4 / 3)
    case, t, cr = _runs("relative", [1.0, 2.0], [1.3, 2.6], target=30)
    rel = ex.assess_target(case, t, cr)[-1]
    assert rel["arm"] == "treatment vs baseline" and rel["simulated_mean"] == pytest.approx(30)
    assert rel["within_tolerance"] and ex.miss(t, cr) == pytest.approx(0)
    case, t, cr = _runs("above", [0.1] * 4, [0.45, 0.46, 0.44, 0.45], bound=0.40)
    assert ex.assess_target(case, t, cr)[1]["within_tolerance"] and ex.miss(t, cr) == 0
    case, t, cr = _runs("above", [0.1] * 4, [0.30, 0.60, 0.41, 0.45], bound=0.40)  # mean above, CI not
    assert not ex.assess_target(case, t, cr)[1]["within_tolerance"] and ex.miss(t, cr) > 0
    case, t, cr = _runs("below", [0.1] * 3, [0.02, 0.025, 0.03], bound=0.05)
    assert ex.assess_target(case, t, cr)[1]["within_tolerance"] and ex.miss(t, cr) == 0


# ---------------------------------------------------------------- calibration plumbing
def test_fitted_file_round_trip(tmp_path):
    flat = {"behavior.participation": 0.5, "events.wakeup.participation": 3.0, "population.interest_mean": 0.3}
    assert cal.flatten(cal.nest(flat)) == flat
    path = tmp_path / "f.yaml"
    cal.write_fitted(path, flat, ["a header"])
    text = path.read_text()
    assert text.startswith("# @package _global_\n")  # Hydra reads the package only from the first line
    assert cal.flatten(OmegaConf.to_container(OmegaConf.load(path))) == flat


def test_calibration_search_never_ends_worse_than_its_start():
    pytest.importorskip("optuna")
    cases = ex.select_cases(["c14"])
    params = {"behavior.points_participation": (0.0, 2.0, False)}
    res = cal.calibrate(cases, params, seeds=[1000], trials=3, timeout=60, fast=True, workers=1, progress=False,
                        local={"behavior.points_participation": "c14"}, polish_trials=3)
    first = res.studies[0].trials[0]
    assert set(first.user_attrs) == {"C14:daily_interactions"}
    assert res.loss <= res.start_loss + 1e-9   # same seeds: polishing and the joint search only keep improvements
    assert 0.0 <= res.values["behavior.points_participation"] <= 2.0
    assert len(res.polished) == 2              # before and after the joint search


# ---------------------------------------------------------------- the reproduction
@pytest.fixture(scope="module")
def fast_results():
    runs = ex.evaluate(ex.select_cases(["all"]), FAST_SEEDS, fast=True, workers=1)
    return ex.assess(runs)


def _targets():
    """(case id, measure key, arm) of every row that carries a target."""
    out = []
    for c in ex.select_cases(["all"]):
        for t in c.targets:
            if t.kind == "share":
                out += [(c.id, t.key, arm) for arm in ex.ARMS if getattr(t, arm) is not None]
            else:
                out.append((c.id, t.key, "treatment vs baseline" if t.kind == "relative" else "treatment"))
    return out


def _check(results, case, measure, arm, request, fast: bool):
    name = f"{case}:{measure}:{arm}"
    if fast and name in FAST_UNSETTLED:
        request.applymarker(pytest.mark.xfail(reason=FAST_UNSETTLED[name], strict=False))
    row = results[(results["case"] == case) & (results["measure"] == measure) & (results["arm"] == arm)]
    assert len(row) == 1
    r = row.iloc[0]
    if fast and r["kind"] in ("above", "below"):
        # 4 seeds give too wide an interval to settle a bound: fast mode checks the mean's side
        ok = r["simulated_mean"] > r["target"] if r["kind"] == "above" else r["simulated_mean"] < r["target"]
    else:
        ok = bool(r["within_tolerance"])
    assert ok, f"{name}: target {r['target']}, simulated {r['simulated_mean']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]"


@pytest.mark.parametrize("case,measure,arm", _targets())
def test_case_reproduces_in_fast_mode(case, measure, arm, fast_results, request):
    _check(fast_results, case, measure, arm, request, fast=True)


def test_driver_writes_the_case_table_and_figures(tmp_path):
    runs, df = ex.run_cases(ex.select_cases(["c02"]), [0, 1], tmp_path, fast=True, progress=False)
    table = (tmp_path / "cases.csv").read_text().splitlines()
    assert table[0].startswith("case,measure,arm,target,simulated_mean,ci_low,ci_high,within_tolerance")
    assert len(table) == 1 + 3  # two arms and the relative change
    assert (tmp_path / "c02.png").stat().st_size > 0 and "C02" in (tmp_path / "report.md").read_text()


def test_report_lists_missed_targets_with_their_reason():
    """Every target outside tolerance is listed under "Not reached" with its case's stated reason (or says
    none is recorded); met targets are not."""
    import pandas as pd
    cases = ex.select_cases(["c08", "c09"])
    cases[0].not_reached = "The reason stated in the case config."
    seg = "segment_monthly_active[layer=declining,day=56]"
    rated = pd.DataFrame({"case": ["C08", "C08", "C09"], "measure": [seg] * 2 + ["monthly_retention"],
                          "arm": ["baseline", "treatment", "treatment"], "target": [42.0, 67.0, 85.0],
                          "simulated_mean": [10.4, 80.5, 86.4], "within_tolerance": [False, False, True]})
    text = "\n".join(ex.not_reached(cases, rated))
    assert "**C08**" in text and "baseline 10.4 (target 42)" in text and "treatment 80.5 (target 67)" in text
    assert "The reason stated in the case config." in text
    assert "C09" not in text and not cases[1].not_reached
    cases[0].not_reached = ""
    assert "No reason recorded yet." in "\n".join(ex.not_reached(cases, rated))
    assert ex.not_reached(cases, rated[rated["within_tolerance"]]) == []
    other = "\n".join(ex.not_reached(cases, rated, fitted="none"))
    assert "not quoted" in other and "**C08**" in other and "No reason recorded" not in other


@pytest.fixture(scope="module")
def full_results(request):
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the full reproduction runs only with -m slow")
    runs = ex.evaluate(ex.select_cases(["all"]), list(range(20)), fast=False, workers=2)
    return ex.assess(runs)


@pytest.mark.slow
@pytest.mark.parametrize("case,measure,arm", _targets())
def test_case_reproduces_in_full(case, measure, arm, full_results, request):
    _check(full_results, case, measure, arm, request, fast=False)
