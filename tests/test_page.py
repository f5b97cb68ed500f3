"""The what-if page (sim/page): its model without a browser, and the page itself in headless Chromium.

The browser tests need the ``browser`` extra (playwright) and Debian's ``chromium`` (.ci/run installs it);
where either is missing they are skipped, except under GROWTHSIM_REQUIRE_BROWSER=1 (CI), where that fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

import forked

from experiments.screenshot import browser_missing, compare, open_page, select, set_value, wait_for_summary
from sim.config import ConfigError
from sim.page import arms as A

SMALL = A.Community(size=2000, days=40, seeds=2)
REWARD = A.Levers(incentive="invite_reward").with_value("incentive", "reward", 20.0)
GROWTHSIM = str(Path(sys.executable).with_name("growthsim"))


def cli_summary(yaml_text: str, tmp: Path, name: str = "arm") -> dict:
    """Run a config file with the real CLI, as docs/app.md shows, and read its summary."""
    (tmp / f"{name}.yaml").write_text(yaml_text)
    out = tmp / f"{name}-run"
    proc = forked.run([GROWTHSIM, "--config-dir", str(tmp), "--config-name", name, f"hydra.run.dir={out}"], timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "summary.json").read_text())


def test_page_numbers_equal_the_cli_for_the_downloaded_config(tmp_path):
    configs = A.arm_configs(SMALL, {"A": A.Levers(), "B": REWARD}, None)
    progress = A.run_arms(configs)
    assert progress.done_seeds == 2 and not progress.stopped
    seeds = A.seed_overrides(SMALL)
    text = A.arm_yaml([*A.community_overrides(SMALL, None), *REWARD.overrides(), *seeds[1]])
    assert cli_summary(text, tmp_path) == pytest.approx(progress.runs["B"][1].summary, rel=0, abs=0)
    table = A.summary(progress).set_index("key")
    assert table.loc["reward_cost", "B"] > 0 == table.loc["reward_cost", "A"]
    diff = table.loc["members_final"]
    assert diff["low"] <= diff["B − A"] <= diff["high"]


def test_ensemble_arm_takes_one_set_per_seed(tmp_path):
    c = A.Community(size=1500, days=20, seeds=2, behaviour="ensemble")
    seeds = A.seed_overrides(c)
    assert seeds[0] != seeds[1] and all(any(o.startswith("behavior.participation=") for o in s) for s in seeds)
    configs = A.arm_configs(c, {"A": A.Levers()}, None)
    progress = A.run_arms(configs)
    text = A.arm_yaml([*A.community_overrides(c, None), *A.Levers().overrides(), *seeds[1]])
    assert cli_summary(text, tmp_path) == progress.runs["A"][1].summary


@pytest.mark.parametrize("levers, community, names", [
    (A.Levers().with_value("groups", "cap", -5), SMALL, "groups.cap"),
    (A.Levers(), A.replace(SMALL, size=0), "population.size"),
    (A.Levers(), A.replace(SMALL, seeds=0), "seeds"),
    (A.Levers(), A.replace(SMALL, graph="../../etc/passwd"), "graph"),
])
def test_bad_values_get_the_cli_message(levers, community, names):
    from sim.app.cli import INPUT_ERRORS, input_message

    with pytest.raises(INPUT_ERRORS) as err:
        A.arm_configs(community, {"A": levers}, None)
    assert names in input_message(err.value)


def test_a_size_this_machine_cannot_hold_is_refused_as_the_cli_refuses_it(monkeypatch):
    from sim.app import run
    from sim.app.cli import input_message

    monkeypatch.setattr(run, "available_memory", lambda: 1e9)
    with pytest.raises(ConfigError) as err:
        A.arm_configs(A.replace(SMALL, size=3_000_000), {"A": A.Levers()}, None)
    assert "lower population.size to at most about" in input_message(err.value)


def test_only_listed_edge_list_files_are_offered(tmp_path):
    (tmp_path / "friends.txt").write_text("0 1\n1 2\n2 0\n")
    (tmp_path / "bad name;rm.txt").write_text("0 1\n")
    (tmp_path / "notes.md").write_text("x")
    assert A.graph_files(tmp_path) == ["friends.txt"]
    over = A.community_overrides(A.replace(SMALL, graph="friends.txt", initial_members=2), tmp_path)
    assert f"graph.path='{tmp_path / 'friends.txt'}'" in over
    with pytest.raises(ConfigError):
        A.community_overrides(A.replace(SMALL, graph="friends.txt"), None)


def test_stop_keeps_the_finished_seeds():
    stop = threading.Event()
    configs = A.arm_configs(A.replace(SMALL, seeds=3), {"A": A.Levers(), "B": REWARD}, None)
    progress = A.run_arms(configs, lambda p: stop.set() if p.done_seeds == 1 else None, stop)
    assert progress.stopped and progress.done_seeds == 1 and len(progress.runs["A"]) == 1
    assert len(A.runs_table(progress, A.seed_overrides(SMALL))) == 2


def test_app_refuses_a_missing_graph_folder(tmp_path):
    proc = subprocess.run([str(Path(sys.executable).with_name("growthsim-app")), "--graphs", str(tmp_path / "no")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--graphs" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- in a real browser
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The page served and open in headless Chromium; a missing browser skips, or fails where
    GROWTHSIM_REQUIRE_BROWSER=1 (CI)."""
    if missing := browser_missing():
        if os.environ.get("GROWTHSIM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required but {missing}")
        pytest.skip(missing)
    tmp = tmp_path_factory.mktemp("page")
    (tmp / "graphs").mkdir()
    with open_page(tmp / "graphs", tmp / "out") as (pg, started):
        yield {"page": pg, "tmp": tmp, "started": started}


@pytest.fixture
def page(server):
    return server["page"]


def _cell(pg, measure: str) -> list[str]:
    row = pg.locator("tr", has_text=measure).first
    return [c.strip() for c in row.locator("td").all_inner_texts()]


@pytest.mark.browser
def test_1_page_loads_with_controls_and_empty_plots(server, page):
    for label in ["population size", "days", "paired seeds"]:
        assert page.get_by_label(label, exact=True).is_visible(), label
    for label in ["graph", "behaviour", "A: incentive scheme", "B: group policy", "A: cadence", "B: operator routine"]:
        assert select(page, label).is_visible(), label
    page.locator("canvas").nth(len(A.SERIES) + 1).wait_for()  # the empty plots: ECharts draws on canvases
    assert page.locator("canvas").count() == len(A.SERIES) + 2
    assert page.get_by_text("Summary over").count() == 0
    page.screenshot(path=server["tmp"] / "1-loaded.png")


@pytest.mark.browser
def test_2_lever_change_runs_both_arms_and_matches_the_cli(server, page):
    from sim.app.run import load_config, simulate

    compare(page, size=3000, days=60, seeds=2, reward=25)
    page.get_by_text("running: seed").first.wait_for()
    page.screenshot(path=server["tmp"] / "2-running.png")
    wait_for_summary(page, 2)
    page.screenshot(path=server["tmp"] / "2-finished.png")
    c = A.Community(size=3000, days=60, seeds=2)
    b = A.Levers(incentive="invite_reward").with_value("incentive", "reward", 25)
    runs = {arm: [simulate(load_config([*A.community_overrides(c, None), *lv.overrides(), *s]), progress=False)
                  for s in A.seed_overrides(c)] for arm, lv in {"A": A.Levers(), "B": b}.items()}
    for key, label in [("members_final", "members at the end"), ("reward_cost", "cost (yuan)")]:
        cells = _cell(page, label)
        for i, arm in enumerate("AB"):
            mean = sum(r.summary[key] for r in runs[arm]) / 2
            assert cells[1 + i] == (f"{mean:,.0f}" if abs(mean) >= 1000 else f"{mean:.4g}"), (label, cells)
    assert float(_cell(page, "cost (yuan)")[2].replace(",", "")) > 0


@pytest.mark.browser
def test_3_bad_value_shows_a_message_and_keeps_the_results(server, page):
    before = _cell(page, "members at the end")
    set_value(page, "B: members per group at most", -5)
    page.get_by_role("button", name="Run both arms").click()
    error = page.get_by_text("groups.cap")
    error.first.wait_for()
    page.screenshot(path=server["tmp"] / "3-bad-value.png")
    assert "Traceback" not in page.locator("body").inner_text()
    assert _cell(page, "members at the end") == before
    set_value(page, "B: members per group at most", 500)


@pytest.mark.browser
def test_4_downloaded_config_runs_in_the_cli_to_the_same_summary(server, page, tmp_path):
    got = {}
    for name in ["arm_B.yaml", "runs.csv"]:
        with page.expect_download() as info:
            page.get_by_role("link", name=f"download {name}").click()
        got[name] = tmp_path / name
        info.value.save_as(got[name])
    page.screenshot(path=server["tmp"] / "4-downloaded.png")
    summary = cli_summary(got["arm_B.yaml"].read_text(), tmp_path, "arm_B")
    row = pd.read_csv(got["runs.csv"]).query("arm == 'B' and seed == 0").iloc[0]
    for key, value in summary.items():
        assert row[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
    written = list((server["tmp"] / "out").glob("*/arm_B.yaml"))
    assert written and written[0].read_text() == got["arm_B.yaml"].read_text()
