"""The sweep launchers (sim/app/launcher.py): the default ``processes`` launcher and submitit's local
executor give the basic launcher's runs; a sweep prints one progress bar and keeps each job's output
in its folder; failed jobs end the sweep with a short message and exit status 1; kill -9 of the
sweep's process stops its workers."""

import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

import forked

from test_cli import GROWTHSIM

TINY = ["population.size=300", "days=5", "progress=false"]


def sweep(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return forked.run([GROWTHSIM, "-m", *args], cwd=cwd, timeout=300, env=env)


def sweep_dir(cwd: Path) -> Path:
    (found,) = (cwd / "outputs" / "sweeps").iterdir()  # one directory, named after the command
    return found


def runs(cwd: Path) -> pd.DataFrame:
    return pd.read_csv(sweep_dir(cwd) / "runs.csv")


def same_runs_as_basic(tmp_path: Path, sweep_args: list[str], *launcher: str, env: dict | None = None) -> None:
    """The sweep on ``launcher`` (run with ``env``) and on Hydra's basic launcher give identical run tables."""
    basic, other = tmp_path / "basic", tmp_path / "other"
    basic.mkdir(), other.mkdir()
    assert sweep(basic, *sweep_args, "hydra/launcher=basic").returncode == 0
    res = sweep(other, *sweep_args, *launcher, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    expected = runs(basic)
    assert expected["members_final"].notna().all() and len(expected) == len(runs(other))
    pd.testing.assert_frame_equal(runs(other), expected)


def test_processes_launcher_gives_the_basic_launchers_runs(tmp_path):
    same_runs_as_basic(tmp_path, ["seed=0,1", "groups.cap=20,50", *TINY], "hydra/launcher=processes")


def test_submitit_local_gives_the_basic_launchers_runs_and_tables(tmp_path):
    same_runs_as_basic(tmp_path, ["seed=0,1", *TINY], "hydra/launcher=submitit_local")
    assert pd.read_parquet(sweep_dir(tmp_path / "other") / "runs.parquet")["seed"].tolist() == [0, 1]


def test_sweep_shows_one_progress_bar_and_keeps_each_jobs_output_in_its_folder(tmp_path):
    res = subprocess.run([GROWTHSIM, "-m", "seed=range(6)", *TINY], cwd=tmp_path, capture_output=True, timeout=300)
    out, err = res.stdout.decode(), res.stderr.decode()  # bytes: text mode would turn the bar's \r into lines
    assert res.returncode == 0, err
    assert (out + err).count("\n") <= 6, out + err  # not ~19 lines per job
    assert "6/6" in err.split("\r")[-1]  # the bar's last state: every run done
    assert "members_final" not in out
    for job in range(6):
        log = (sweep_dir(tmp_path) / str(job) / "job.log").read_text()
        assert "members_final" in log and f"outputs: {sweep_dir(tmp_path) / str(job)}" in log


@pytest.mark.parametrize("launcher", ["hydra/launcher=processes", "hydra/launcher=basic"])
def test_failed_job_ends_the_sweep_with_exit_1_and_keeps_the_finished_runs(tmp_path, launcher):
    # the basic launcher stops the sweep at the failed job's error: the CLI gathers the finished ones
    res = sweep(tmp_path, "behavior.accept=0.5,1.5", *TINY, launcher)
    assert res.returncode == 1
    assert res.stderr.count("growthsim: error: 1 of 2 sweep jobs failed") == 1 and "Traceback" not in res.stderr
    assert str(sweep_dir(tmp_path).relative_to(tmp_path) / "failures.csv") in res.stderr
    assert runs(tmp_path)["behavior.accept"].tolist() == [0.5]
    (failure,) = pd.read_csv(sweep_dir(tmp_path) / "failures.csv").to_dict("records")
    assert failure["job"] == 1 and "behavior.accept=1.5 is out of range" in failure["error"]
    if launcher.endswith("processes"):  # the project's launchers keep each job's output in its folder
        assert "behavior.accept=1.5 is out of range" in (sweep_dir(tmp_path) / "1" / "job.log").read_text()


def marked(mark: str) -> list[int]:
    """Live processes (not zombies) whose environment holds ``mark``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            environ = (proc / "environ").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # not a process, gone meanwhile, or not ours
        if mark.encode() in environ and state != "Z":
            found.append(int(proc.name))
    return found


def _ctrl_c_default() -> None:
    """Ctrl-C's default action in the sweep, as a terminal gives a command: a test run in the background of a
    non-interactive shell ignores SIGINT, and a process inherits an ignored SIGINT (Python then installs no
    KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def marked_sweep(cwd: Path, *args: str):
    """A sweep started in a session of its own, with a mark in its environment (``marked``); yields the
    process and the mark once a worker has started a job, and kills whatever still carries the mark after."""
    token = uuid.uuid4().hex
    mark, env = f"GROWTHSIM_TEST_SWEEP={token}", dict(os.environ, GROWTHSIM_TEST_SWEEP=token)
    proc = subprocess.Popen([GROWTHSIM, "-m", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=_ctrl_c_default)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not list(cwd.glob("outputs/sweeps/*/*/job.log")):
            time.sleep(0.05)  # a worker has started a job
        yield proc, mark
    finally:
        for pid in marked(mark):
            os.kill(pid, signal.SIGKILL)


def gone(mark: str, within: float = 5.0) -> bool:
    """Whether every process carrying ``mark`` ends within ``within`` seconds."""
    deadline = time.time() + within
    while time.time() < deadline and marked(mark):
        time.sleep(0.1)
    return not marked(mark)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="scans /proc (Linux)")
def test_kill_9_of_the_sweep_stops_its_workers(tmp_path):
    with marked_sweep(tmp_path, "seed=range(8)", "population.size=20000", "days=120", "progress=false") as (proc, mark):
        assert [pid for pid in marked(mark) if pid != proc.pid], "the sweep's workers must be running when it is killed"
        os.kill(proc.pid, signal.SIGKILL)  # the sweep's process only, not its process group
        proc.wait()
        assert gone(mark), "workers outlived the sweep's process"


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="scans /proc (Linux)")
def test_ctrl_c_ends_the_sweep_with_a_message_and_the_same_command_finishes_it(tmp_path):
    args = ["seed=range(8)", "population.size=100000", "days=365", "progress=false"]
    with marked_sweep(tmp_path, *args) as (proc, mark):
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "growthsim: interrupted: finished runs are kept" in err and "Traceback" not in err, err
        assert gone(mark), "workers outlived the interrupted sweep"
    again = sweep(tmp_path, *args)
    assert again.returncode == 0, again.stderr
    assert runs(tmp_path)["seed"].tolist() == list(range(8))
