"""The case ensemble (experiments/ensemble.py): the case numbers' misses and coverage, the prior, the
leave-one-case-out prediction on a table of known shape, the driver end to end (resume, bad input), and
the committed ensemble and loco.csv."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forked

from experiments.ensemble import Prior, Row, case_rows, closest, distance, leave_one_out
from experiments.cases import select_cases

GROWTHSIM = shutil.which("growthsim", path=str(Path(sys.executable).parent))
REPO = Path(__file__).resolve().parents[1]


def test_misses_in_tolerances_per_kind():
    share = Row("C01", "c01", "m", "baseline", "share", 18.0, 100.0)
    assert share.miss(np.array([18.0, 21.0, 12.0, np.nan])).tolist() == [0.0, 1.0, 2.0, 20.0]
    assert share.within(20.9) and not share.within(21.1)
    rel = Row("C14", "c14", "m", "treatment vs baseline", "relative", 65.0, 1.0)
    assert rel.miss(np.array([75.0])).tolist() == [2.0]
    above = Row("C15", "c15", "m", "treatment", "above", 40.0, 100.0)
    assert above.miss(np.array([46.0, 34.0])).tolist() == [0.0, 2.0]
    assert above.within(41) and not above.within(39)
    assert above.covered(30, 41) and not above.covered(30, 39)
    below = Row("C05", "c05", "m", "treatment", "below", 15.0, 100.0)
    assert below.covered(14, 40) and not below.covered(16, 40)
    assert share.covered(10, 20) and not share.covered(19, 25)


def test_relative_change_and_arm_values():
    rel = Row("C02", "c02", "m", "treatment vs baseline", "relative", -67.0, 100.0)
    assert rel.value(np.array([0.5, 0.0]), np.array([0.25, 0.1]))[0] == pytest.approx(-50.0)
    assert np.isnan(rel.value(np.array([0.5, 0.0]), np.array([0.25, 0.1]))[1])  # no baseline: no change
    share = Row("C01", "c01", "m", "treatment", "share", 59.0, 100.0)
    assert share.value(np.array([0.1]), np.array([0.5]))[0] == pytest.approx(50.0)


def test_the_public_cases_make_seventeen_numbers():
    rows = case_rows(select_cases(["all"]))
    assert len(rows) == 17
    assert len({r.label for r in rows}) == 17


def test_distance_caps_each_miss():
    m = np.array([[3.0, 4.0], [100.0, 0.0]])
    assert distance(m, 5.0).tolist() == [5.0, 5.0]
    assert closest(np.array([3.0, 1.0, 2.0, 1.0]), 2).tolist() == [1, 3]


def test_prior_maps_the_unit_cube_and_back():
    p = Prior({"a": (0.1, 10.0, True), "b": (0.0, 2.0, False)})
    u = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
    v = p.values(u)
    assert v[:, 0] == pytest.approx([0.1, 1.0, 10.0])
    assert v[:, 1] == pytest.approx([0.0, 1.0, 2.0])
    assert p.unit(v) == pytest.approx(u)


def test_leave_one_out_predicts_a_case_from_the_others():
    """Two cases whose numbers both follow one parameter: leaving either out, the sets closest to the
    other one pin the parameter, so the left-out case is predicted within tolerance and inside an interval
    under half as wide as its prior spread (36 points: the noise case dilutes the distance); a case unrelated
    to the others (pure noise) gets its prior spread back, much wider."""
    rng = np.random.default_rng(0)
    theta = rng.uniform(0, 1, 4000)
    rows = [Row("A", "a", "x", "treatment", "share", 40.0, 100.0),
            Row("B", "b", "y", "treatment", "share", 60.0, 100.0),
            Row("C", "c", "z", "treatment", "share", 50.0, 100.0)]
    table = pd.DataFrame({rows[0].label: 20 + 40 * theta + rng.normal(0, 1, theta.size),   # target at theta 0.5
                          rows[1].label: 40 + 40 * theta + rng.normal(0, 1, theta.size),   # target at theta 0.5
                          rows[2].label: rng.uniform(0, 100, theta.size)})
    loco = leave_one_out(table, rows, 200, 5.0, 0.9).set_index("case")
    for case in ("A", "B"):
        assert loco.loc[case, "within_tolerance"] and loco.loc[case, "in_interval"]
        assert loco.loc[case, "high"] - loco.loc[case, "low"] < 18
    assert loco.loc["C", "high"] - loco.loc["C", "low"] > 70


def _ensemble(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    return forked.run([GROWTHSIM, "experiment=ensemble", "experiment.morris=0", "experiment.sobol=0",
                       "experiment.table=4", "experiment.accept=2", "experiment.workers=1",
                       f"experiment.out_dir={tmp_path / 'ens'}", "progress=false", *extra], cwd=tmp_path, timeout=600)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> Path:
    """One small ensemble run, shared by the tests that read or resume it (each run costs ~40 s)."""
    tmp = tmp_path_factory.mktemp("ensemble")
    res = _ensemble(tmp)
    assert res.returncode == 0, res.stderr[-2000:]
    return tmp


def test_the_ensemble_experiment_end_to_end_and_resumes(fitted):
    out = fitted / "ens"
    for name in ("report.md", "ensemble.parquet", "loco.csv", "posterior_predictive.csv", "sensitivity.csv",
                 "evaluations.parquet", "ensemble.png"):
        assert (out / name).is_file(), name
    ens = pd.read_parquet(out / "ensemble.parquet")
    assert len(ens) == 2 and ens.weight.sum() == pytest.approx(1.0)
    loco = pd.read_csv(out / "loco.csv")
    assert len(loco) == 17
    assert (loco.low <= loco.predicted).all() and (loco.predicted <= loco.high).all()
    pp = pd.read_csv(out / "posterior_predictive.csv")
    assert {"param_low", "param_high", "seed_sd"} <= set(pp.columns)
    chunks = sorted((out / "chunks").glob("*.parquet"))
    stamps = {p: p.stat().st_mtime_ns for p in chunks}
    again = _ensemble(fitted)  # resumes: every chunk is on disk, nothing runs again
    assert again.returncode == 0, again.stderr[-2000:]
    assert {p: p.stat().st_mtime_ns for p in chunks} == stamps
    assert pd.read_csv(out / "loco.csv").equals(loco)


def test_other_settings_in_the_same_folder_are_refused_and_nothing_is_lost(fitted):
    chunks = {p: p.stat().st_mtime_ns for p in (fitted / "ens" / "chunks").glob("*.parquet")}
    assert chunks
    res = _ensemble(fitted, "experiment.fast=false")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "chunks/ hold sets of other settings" in res.stderr
    assert {p: p.stat().st_mtime_ns for p in (fitted / "ens" / "chunks").glob("*.parquet")} == chunks


@pytest.mark.parametrize("override,message", [
    ("experiment.accept=9", "accept=9 exceeds table=4"),
    ("experiment.level=1.5", "experiment.level"),
])
def test_bad_settings_exit_2(tmp_path, override, message):
    res = _ensemble(tmp_path, override)
    assert res.returncode == 2, res.stderr[-1000:]
    assert message in res.stderr and "Traceback" not in res.stderr


def test_at_most_fifteen_free_parameters_each_a_range():
    from experiments.runner import ExperimentError
    from experiments.schema import EnsembleFit, parse

    sixteen = {f"behavior.p{i}": [0, 1] for i in range(16)}
    with pytest.raises(ExperimentError, match="16 free parameters; at most 15"):
        parse(EnsembleFit, {"params": sixteen})
    with pytest.raises(ExperimentError, match="low < high"):
        parse(EnsembleFit, {"params": {"behavior.participation": [0.9, 0.1]}})


def test_the_committed_ensemble_and_loco_table():
    from sim import load_config

    ens = pd.read_parquet(REPO / "conf" / "fitted" / "ensemble.parquet")
    free = [c for c in ens.columns if c not in ("weight", "distance", "table_set", "seed")]
    assert len(ens) >= 200 and 0 < len(free) <= 15
    assert ens.weight.sum() == pytest.approx(1.0)
    cfg = load_config(["+fitted=ensemble", *(f"{k}={ens[k].iloc[0]}" for k in free)])  # named by config key
    assert all(np.isfinite(ens[k]).all() for k in free) and cfg is not None
    loco = pd.read_csv(REPO / "results" / "cases" / "loco.csv")
    assert list(loco.columns[:8]) == ["case", "measure", "arm", "target", "predicted", "low", "high",
                                      "within_tolerance"]
    assert len(loco) == 17
    doc = (REPO / "docs" / "cases.md").read_text()
    head = doc.split("## Reproduce")[0]
    assert f"{int(loco.in_interval.sum())} of 17" in head and f"{int(loco.within_tolerance.sum())} of 17" in head
