"""Every row of docs/errors.md: bad input gets a short message naming what is wrong, exit status 2, no traceback."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import forked

from test_cli import GROWTHSIM

DATA = Path(__file__).parent / "data"


def growthsim_inprocess(monkeypatch, tmp_path, capsys, *args):
    """Run the real CLI entry point in this process (fast); return (exit status, stderr)."""
    from sim.app import cli
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["growthsim", *args])
    status = 0
    try:
        cli.main()
    except SystemExit as e:
        status = e.code
    return status, capsys.readouterr().err


ROWS = [  # (arguments, pattern the message must match) -- the same rows as docs/errors.md
    (["days=abc"], r"days=abc.*could not be converted to Integer"),
    (["population.size=1.5"], r"population.size=1.5.*could not be converted to Integer"),
    (["behavior.foo=1"], r"Key 'foo' not in 'Behavior'.*docs/parameters.md"),
    (["population.size=-5"], r"population.size=-5 is out of range: allowed 1 to"),
    (["behavior.accept=1.5"], r"behavior.accept=1.5 is out of range: allowed 0 to 1"),
    (["groups.cap=0"], r"groups.cap=0 is out of range: allowed 1 to"),
    (["days=0"], r"days=0 is out of range: allowed 1 to"),
    (["graph=edgelist", "graph.path=missing.csv"], r"graph.path 'missing.csv' does not exist"),
    (["graph=edgelist", f"graph.path={DATA / 'bad_id.txt'}"], r"bad_id.txt', line 4: expected two"),
    (["graph=edgelist", f"graph.path={DATA / 'bad_columns.csv'}"], r"bad_columns.csv', line 2: expected two"),
    (["graph=foo"], r"Could not find 'graph/foo'.*barabasi_albert"),
    (["experiment=nope"], r"Could not find 'experiment/nope'.*incentives"),
    (["case=c99"], r"Could not find 'case/c99'"),
    (["cadence=weekly"], r"Could not find 'cadence/weekly'.*three_two_one"),
    (["groups=split", "groups.rule=alphabetical"], r"groups.rule=alphabetical is not an option: choose one of random"),
    (["phases=[referral,chat]"], r"phases: chat is not an option: choose from exposure, participation"),
    (["cadence.week.0=[party]"], r"unknown event .party.; choose one of the known events: light"),
    (["graph=watts_strogatz", "graph.k=5"], r"graph.k=5 must be even"),
    (["population.size=900000000"], r"needs up to about .* GB of memory .* lower population.size to at most about"),
    (["seed=1,"], r"seed=1,"),
    (["+behavior.acept=0.9"], r"unknown key 'behavior.acept' \(added with '\+'\): did you mean 'behavior.accept'\? "
                              r"Write behavior.accept=0.9, without '\+'"),
    (["+foo=1"], r"unknown key 'foo' \(added with '\+'\): no key .* Write KEY=VALUE, without '\+'.*docs/parameters.md"),
    (["incentive=points", "+incentive.level_pionts=3"], r"unknown key 'incentive.level_pionts': did you mean "
                                                        r"'incentive.level_points'\?"),
    (["+mechanisms=muting", "mechanisms.muting.silent=2"], r"mechanisms.muting.silent=2 is out of range: allowed 0 to 1"),
    (["+mechanisms.mutin.silent=0.3"], r"mechanisms.mutin: no built-in mechanism is called 'mutin'; did you mean "
                                       r"'muting'\? The built-in mechanisms: .*_target_"),
    (["groups=split", "groups.cap=1"], r"groups.cap=1 with groups=split: .* set groups.cap=2 or more"),
    (["groups=split_topic"], r"groups.rule=topic splits groups by sub-topic, but population.topics=0 gives none: set "
                             r"population.topics"),
    (["population.topics=2", "events.knowhow.topic=3"], r"events.knowhow.topic=3 names no sub-topic: "
                                                        r"population.topics=2 gives sub-topics 0..1"),
    (["graph=erdos_renyi", "graph.mean_degree=0"], r"graph.mean_degree=0 gives the 300 people no friendship .* "
                                                   r"e.g. graph.mean_degree=10"),
    (["experiment=cases", "experiment.driver=subprocess:Popen"],
     r"experiment.driver=subprocess:Popen is not a driver of growthsim: choose one of compare, calibrate, cases, communities, ensemble, facts"),
    (["+experiment.driver=builtins:print"], r"experiment.driver=builtins:print is not a driver of growthsim"),
    (["graph=edgelist", "graph.path=."], r"graph.path '.' is a directory, not a file"),
    (["graph=edgelist", f"graph.path={DATA / 'three_people.txt'}", "population.initial_members=5"],
     r"population.initial_members=5 exceeds population.size=3 \(the people in graph.path '.*three_people.txt'\): "
     r"lower population.initial_members to at most 3"),
    (["graph=edgelist", f"graph.path={DATA / 'weighted.tsv'}"], r"weighted.tsv', line 1: a third column \('0.5', a "
                                                              r"weight\?\) is not read: .* keep only the two node ids"),
    (["experiment=incentives", "experiment.seeds=0"], r"experiment.seeds=0 is out of range: allowed 1 or more "
                                                      r"\(seeds per arm.*\). Fix it, e.g. experiment.seeds=20"),
    (["experiment=incentives", "+experiment.seed=3"], r"unknown key 'experiment.seed': did you mean 'experiment.seeds'\?"),
    (["experiment=incentives", "experiment.baseline=nope"],
     r"experiment.baseline=nope is not an arm: choose one of none, invite_reward, points"),
    (["experiment=cases", "experiment.fast=maybe"], r"experiment.fast=maybe: input should be a valid boolean"),
    (["experiment=cases", "experiment.case=c99"], r"no case 'c99': choose one of c01, c02, .* or all"),
    (["experiment=calibrate", "experiment.trials=0"], r"experiment.trials=0 is out of range: allowed 1 or more"),
    (["seed=0,1", "hydra.launcher.workers=0", "-m"], r"hydra.launcher.workers=0 is out of range: allowed 1 or more"),
    (["seed=0,1", "hydra/launcher=ray", "hydra.launcher.address=127.0.0.1:1", "-m"],
     r"hydra.launcher.address=127.0.0.1:1: no Ray cluster answers there .*ray start --head"),
    (["seed=0,1", "hydra/launcher=ray", "hydra.launcher.address=head", "-m"],
     r"hydra.launcher.address=head is not an address: write HOST:PORT"),
]


@pytest.mark.parametrize("args,pattern", ROWS, ids=[" ".join(a)[:40] for a, _ in ROWS])
def test_bad_input_gets_a_clear_message_and_exit_2(monkeypatch, tmp_path, capsys, args, pattern):
    # small defaults first: a later override of the same key wins, so the row's own value is used
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, "days=2", "population.size=300", *args)
    assert status == 2, err
    assert "Traceback" not in err
    assert re.search(pattern, err, re.S), err
    said = [line for line in err.splitlines() if not line.startswith("growthsim: warning:")]  # (a file's size)
    assert said[0].startswith("growthsim: error:") or "Error executing job" in said[0]


def test_self_loops_and_duplicates_are_dropped_with_a_warning(tmp_path):
    res = forked.run([GROWTHSIM, "graph=edgelist", f"graph.path={DATA / 'loops_dups.txt'}", "days=2",
                      "population.initial_members=2"],  # of its 4 people
                     cwd=tmp_path, timeout=120)
    assert res.returncode == 0
    assert "growthsim: warning: graph.path" in res.stderr
    assert "dropped 1 self-loop(s) and 2 duplicate edge(s)" in res.stderr


@pytest.mark.parametrize("args,broken", [
    (["--config-name", "mine"], "mine.yaml"),            # the user's own root config
    (["graph=mine"], "graph/mine.yaml"),                 # an option of the user's in a config group
], ids=["root config", "option file"])
def test_a_config_file_that_is_not_valid_yaml_is_named_with_its_line(monkeypatch, tmp_path, capsys, args, broken):
    own = tmp_path / "own"
    (own / "graph").mkdir(parents=True)
    (own / broken).write_text("defaults:\n  - config\nm: [3\ndays: 2\n")  # the list in line 3 is never closed
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, "--config-dir", str(own), *args)
    assert status == 2 and "Traceback" not in err, err
    assert re.fullmatch(rf"growthsim: error: the config file '{re.escape(str(own / broken))}' is not valid YAML: "
                        r"line 4, column 5: expected ',' or '\]', but got ':' .*; fix the syntax there\n", err), err


@pytest.mark.parametrize("driver", ["subprocess:Popen", "builtins:print"])
def test_experiment_driver_runs_no_code_outside_the_package(monkeypatch, tmp_path, capsys, driver):
    """``experiment.driver`` is a name from the package's own list: a ``module:function`` is refused, not called."""
    import subprocess
    called = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: called.append(a))
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, "experiment=cases", f"experiment.driver={driver}")
    assert status == 2 and "is not a driver of growthsim" in err, err
    assert called == [] and capsys.readouterr().out == ""  # Popen was not called, print printed nothing


@pytest.mark.parametrize("override", ["+hydra.callbacks.x._target_=builtins.print",
                                      "+hydra.callbacks.runs_table._target_=subprocess.Popen"])
def test_no_override_names_code_to_call(monkeypatch, tmp_path, capsys, override):
    """Hydra would instantiate any ``_target_``; growthsim's command line may not name one."""
    import subprocess
    called = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: called.append(a))
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, "days=2", "population.size=300", override)
    assert status == 2 and f"'{override}' names code to call (_target_)" in err, err
    assert called == [] and not (tmp_path / "outputs").exists()  # nothing ran


def test_real_process_exit_status_and_no_traceback(tmp_path):
    res = subprocess.run([GROWTHSIM, "population.size=-5"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "population.size=-5 is out of range" in res.stderr


def test_errors_doc_lists_every_row():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "errors.md").read_text()
    for args, _ in ROWS:
        assert f"`{' '.join(a.replace(str(DATA) + '/', '') for a in args)}`" in doc, args


def test_memory_check_reads_the_machine_only_for_large_runs(monkeypatch):
    """The check compares the estimate with the memory available now, except for small runs (own data under
    ``SMALL_RUN_BYTES``), whose check would cost more than their set-up: those never read the machine."""
    from sim import load_config
    from sim.app import run
    from sim.config import ConfigError
    reads = []
    monkeypatch.setattr(run, "available_memory", lambda: reads.append(1) or 300e6)  # a machine with 300 MB free
    run.check_memory(load_config(["population.size=10000"]))  # ~7 MB of own data: not checked, nothing read
    assert reads == []
    with pytest.raises(ConfigError, match="needs up to about .* GB of memory"):
        run.check_memory(load_config(["population.size=2000000"]))  # ~1.4 GB: checked and refused
    assert reads == [1]
