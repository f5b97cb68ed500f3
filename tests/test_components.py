"""Components: one shape for every mechanism and lever, used by name; a user's own from outside the package."""

import ast
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from test_cli import GROWTHSIM
from test_errors import growthsim_inprocess

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "own_component"


def test_the_phases_hold_only_base_formulas():
    """Mechanism switches live in components: the seven phase functions hold at most 6 ``if``s in all."""
    from sim.config import PHASES
    tree = ast.parse((REPO / "sim" / "engine" / "model.py").read_text())
    model = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "CommunityModel")
    phases = [f for f in model.body if isinstance(f, ast.FunctionDef) and f.name in PHASES]
    assert sorted(f.name for f in phases) == sorted(PHASES)
    ifs = sum(isinstance(n, (ast.If, ast.IfExp)) for f in phases for n in ast.walk(f))
    assert ifs <= 6, ifs


def _run(folder: Path, *args: str) -> tuple[dict, pd.DataFrame]:
    env = dict(os.environ, PYTHONPATH=str(folder))
    res = subprocess.run([GROWTHSIM, "--config-dir", str(folder / "conf"), "days=21", "population.size=600",
                          "population.initial_members=100", "progress=false", "hydra.run.dir=out", *args],
                         cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = folder / "out"
    summary, series = json.loads((out / "summary.json").read_text()), pd.read_csv(out / "timeseries.csv")
    shutil.rmtree(out)
    return summary, series


def test_a_users_own_lever_and_mechanism_run_from_a_folder_outside_the_package(tmp_path):
    folder = tmp_path / "mine"
    shutil.copytree(EXAMPLE, folder)  # the module and its yamls, nowhere near the package
    summary, series = _run(folder, "incentive=red_packet", "+mechanisms=newcomer_welcome")
    paid = series.loc[series.reward_cost > 0, "day"].tolist()
    assert paid == [7, 14, 21] and summary["reward_cost"] == 300.0  # a red packet on every draw day, 100 yuan each
    plain, plain_series = _run(folder, "incentive=red_packet")
    assert plain["reward_cost"] == 300.0
    # the welcome raises taking part in a member's first week: more active on day 1 than without it
    assert series.active[1] > plain_series.active[1]


@pytest.mark.parametrize("target,said", [
    ("collections.OrderedDict", r"incentive._target_=collections.OrderedDict is not a component: it must subclass "
                                r"sim.components.base.Component"),
    ("nowhere.Lottery", r"incentive._target_=nowhere.Lottery: no such class .*check the module is importable"),
])
def test_a_target_that_is_not_a_component_is_refused_before_running(monkeypatch, tmp_path, capsys, target, said):
    import re
    own = tmp_path / "own"
    (own / "incentive").mkdir(parents=True)
    (own / "incentive" / "mine.yaml").write_text(f"_target_: {target}\n")
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, "--config-dir", str(own), "incentive=mine",
                                      "days=2", "population.size=300")
    assert status == 2 and "Traceback" not in err, err
    assert re.search(said, err), err
    assert not (tmp_path / "outputs").exists() or not list((tmp_path / "outputs").rglob("summary.json"))


def test_every_built_in_component_has_its_schema_and_documentation():
    from sim.config import built_in, parameter_table
    table = parameter_table()
    for group, options in built_in().items():
        for name, cls in options.items():
            assert f"`{cls.__module__}.{cls.__name__}`" in table, (group, name)
    assert set(built_in()["mechanisms"]) == {p.stem for p in (REPO / "conf" / "mechanisms").glob("*.yaml")}
