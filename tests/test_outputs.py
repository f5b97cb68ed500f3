"""Where outputs go and what happens when they cannot be written (sim/app/run.py, conf/config.yaml).

Every run gets a folder of its own under outputs/ and never writes into a folder that holds another
run; a folder that cannot be written, or a full disk, ends with one message and exit status 2, and
the finished runs stay while the unfinished one is removed, so running the command again redoes it.
"""

import errno
import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from test_cli import GROWTHSIM
from test_errors import growthsim_inprocess

SMALL = ["population.size=300", "days=5", "progress=false"]


def mount_tmpfs(path: Path, options: str) -> bool:
    """Mount a tmpfs on ``path`` (root only, and only where the sandbox allows it)."""
    path.mkdir()
    return os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                                                 capture_output=True).returncode == 0


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nobody may write into: a read-only tmpfs for root (who ignores permissions), else mode 555."""
    path = tmp_path / "locked"
    if os.geteuid() == 0:
        if not mount_tmpfs(path, "ro,size=64k"):
            pytest.skip("running as root and cannot mount a read-only tmpfs")
        yield path
        subprocess.run(["umount", str(path)], check=True)
    else:
        path.mkdir()
        path.chmod(0o555)
        yield path
        path.chmod(0o755)


def no_partial_run(folder: Path) -> bool:
    """No file of a run, and no temporary file, is left in ``folder``."""
    return not [p.name for p in folder.iterdir() if p.name in ("config.yaml", "timeseries.csv", "growth.png",
                                                                "summary.json") or p.name.endswith(".tmp")]


# ---------------------------------------------------------------- a folder per run
def test_runs_started_together_get_a_folder_each(tmp_path):
    procs = [subprocess.Popen([GROWTHSIM, *SMALL, f"seed={s}"], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for s in range(4)]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()
    folders = sorted((tmp_path / "outputs" / "runs").iterdir())
    assert len(folders) == 4
    assert sorted(OmegaConf.load(f / "config.yaml").seed for f in folders) == [0, 1, 2, 3]
    for f in folders:
        assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d-[0-9a-f]{6}", f.name), f.name
        assert (f / "summary.json").is_file() and len(pd.read_csv(f / "timeseries.csv")) == 6
    assert not (tmp_path / "results").exists()


def test_the_run_folder_name_is_fixed_within_a_run_and_new_for_the_next(monkeypatch, tmp_path, capsys):
    from sim.app.run import run_id
    assert run_id() == run_id()
    for seed in (0, 1):  # two runs in one process (the CLI called twice), one working directory
        assert growthsim_inprocess(monkeypatch, tmp_path, capsys, *SMALL, f"seed={seed}")[0] == 0
    folders = list((tmp_path / "outputs" / "runs").iterdir())
    assert sorted(OmegaConf.load(f / "config.yaml").seed for f in folders) == [0, 1]


def test_a_run_never_writes_into_a_folder_holding_another_run(monkeypatch, tmp_path, capsys):
    for _ in range(2):  # the same config twice: the second finds the run finished and keeps it
        assert growthsim_inprocess(monkeypatch, tmp_path, capsys, *SMALL, "hydra.run.dir=mine")[0] == 0
    kept = {p: p.read_bytes() for p in (tmp_path / "mine").rglob("*") if p.is_file() and p.suffix != ".log"}
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, *SMALL, "seed=7", "hydra.run.dir=mine")
    assert status == 2 and "Traceback" not in err
    assert re.search(r"the output folder 'mine' holds another run.*hydra.run.dir", err), err
    assert {p: p.read_bytes() for p in kept} == kept  # .hydra/ included: the refused run wrote nothing


# ---------------------------------------------------------------- folders that cannot be written
@pytest.mark.parametrize("args,path", [
    (["hydra.run.dir=somefile/x"], "somefile/x"),
    (["hydra.run.dir=somefile"], "somefile"),
    (["experiment=group_caps", "experiment.out_dir=somefile/x"], "somefile/x"),
])
def test_an_output_folder_under_a_file_is_refused(monkeypatch, tmp_path, capsys, args, path):
    (tmp_path / "somefile").write_text("not a folder")
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, *SMALL, *args)
    assert status == 2 and "Traceback" not in err
    assert f"cannot write '{path}': 'somefile' is a file, not a folder: choose another output folder" in err, err


@pytest.mark.parametrize("key", ["hydra.run.dir", "experiment.out_dir"])
def test_a_read_only_output_folder_is_refused(read_only_dir, monkeypatch, tmp_path, capsys, key):
    extra = ["experiment=group_caps"] if key.startswith("experiment") else []
    for target in (read_only_dir, read_only_dir / "x"):  # the folder itself, or one to be made in it
        status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, *SMALL, *extra, f"{key}={target}")
        assert status == 2 and "Traceback" not in err
        assert re.search(rf"cannot write '{target}': (read-only file system|permission denied): make it writable "
                         r"or choose another output folder \(hydra.run.dir=DIR", err), err


# ---------------------------------------------------------------- a full disk
def test_a_full_disk_ends_the_run_and_removes_its_partial_files(monkeypatch, tmp_path, capsys):
    def fill(ts, path):
        Path(path).write_bytes(b"\x89PNG partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr("sim.app.plots.plot_growth", fill)  # the disk fills while growth.png is written
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, *SMALL, "hydra.run.dir=run")
    assert status == 2 and "Traceback" not in err
    assert re.search(r"cannot write '.*run/\.growth\.png\.\d+\.tmp': the disk is full: free some space and run "
                     r"the same command again", err), err
    assert no_partial_run(tmp_path / "run")
    monkeypatch.undo()
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, *SMALL, "hydra.run.dir=run")
    assert status == 0 and (tmp_path / "run" / "summary.json").is_file()  # the rerun redoes it


def test_a_full_disk_keeps_an_experiments_finished_runs(monkeypatch, tmp_path, capsys):
    to_csv, full = pd.DataFrame.to_csv, []

    def fill_at_seed_1(self, path=None, *args, **kwargs):  # the disk fills in the first run of seed 1
        if path is not None and (full or "seed_1" in str(path)):
            full.append(path)
            Path(path).write_text("day,members\n0,")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return to_csv(self, path, *args, **kwargs)

    args = [*SMALL, "experiment=group_caps", "experiment.seeds=2", "experiment.workers=1", "experiment.out_dir=exp"]
    monkeypatch.setattr(pd.DataFrame, "to_csv", fill_at_seed_1)
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, *args)
    assert status == 2 and "Traceback" not in err
    assert "the disk is full: free some space and run the same command again" in err, err
    exp = tmp_path / "exp"
    (done,) = exp.glob("runs/*/seed_*/summary.json")  # unlimited/seed_0, finished before the disk filled
    mtime = done.stat().st_mtime_ns
    assert all(no_partial_run(d) for d in exp.glob("runs/*/seed_*") if d != done.parent)
    assert not (exp / "experiment.yaml").exists()
    monkeypatch.undo()
    status, err = growthsim_inprocess(monkeypatch, tmp_path, capsys, *args)
    assert status == 0, err
    assert done.stat().st_mtime_ns == mtime  # the finished run was kept, the others redone
    assert len(pd.read_csv(exp / "runs.csv")) == 10 and (exp / "experiment.yaml").is_file()


def test_a_really_full_disk(tmp_path):
    """The same on a real 64 kB file system: growth.png does not fit."""
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "size=64k"):
        pytest.skip("cannot mount a small tmpfs here (needs root in a sandbox that allows it)")
    try:
        res = subprocess.run([GROWTHSIM, *SMALL, f"hydra.run.dir={disk / 'run'}"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 2 and "Traceback" not in res.stderr
        assert "the disk is full: free some space" in res.stderr, res.stderr
        assert no_partial_run(disk / "run")
    finally:
        subprocess.run(["umount", str(disk)], check=True)


# ---------------------------------------------------------------- user runs go to outputs/
def test_the_cases_driver_writes_under_outputs_by_default(monkeypatch, tmp_path):
    from experiments import cases
    monkeypatch.chdir(tmp_path)
    cases.main(["case=c02", "experiment.fast=true", "experiment.seeds=2", "experiment.workers=1", "progress=false"])
    assert "C02" in (tmp_path / "outputs" / "cases" / "report.md").read_text()
    assert not (tmp_path / "results").exists()
