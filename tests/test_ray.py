"""A sweep on a real Ray cluster, a head and a second node on this machine started with ``ray start``
and joined by address, gives the basic launcher's runs, with jobs on both nodes. Needs the [ray]
extra (part of [test])."""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from test_launcher import TINY, marked, same_runs_as_basic, sweep_dir

pytest.importorskip("ray", reason="install the [ray] extra: pip install -e '.[ray]'")

RAY = str(Path(sys.executable).parent / "ray")


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.fixture
def cluster(tmp_path):
    """A Ray head and a second node on this machine (1 CPU each), stopped afterwards even on failure;
    yields the head's address and the environment that joins it: Ray's token authentication on, with
    this cluster's own token (whatever ~/.ray holds)."""
    tag = uuid.uuid4().hex
    mark = f"GROWTHSIM_TEST_RAY={tag}"
    env = dict(os.environ, GROWTHSIM_TEST_RAY=tag, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32))
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's unix sockets live under it
    gcs, head_agent, node_agent = free_ports(3)
    common = ["--num-cpus=1", "--object-store-memory=100000000", "--disable-usage-stats", f"--temp-dir={temp}"]
    nodes = (["--head", f"--port={gcs}", "--include-dashboard=false", f"--dashboard-agent-listen-port={head_agent}"],
             [f"--address=127.0.0.1:{gcs}", f"--dashboard-agent-listen-port={node_agent}"])
    try:
        for i, node in enumerate(nodes):
            log = tmp_path / f"ray-start-{i}.log"
            with log.open("w") as out:  # a file, not a pipe: Ray's daemons keep their output open
                res = subprocess.run([RAY, "start", *node, *common], cwd=temp, env=env, stdout=out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120)
            assert res.returncode == 0, log.read_text()[-3000:]
        yield f"127.0.0.1:{gcs}", env
    finally:
        for pid in marked(mark):  # the cluster's processes (they carry the mark in their environment)
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)


def test_sweep_on_a_two_node_ray_cluster_gives_the_basic_launchers_runs(tmp_path, cluster):
    address, env = cluster
    same_runs_as_basic(tmp_path, ["seed=0,1,2,3", *TINY], "hydra/launcher=ray", f"hydra.launcher.address={address}",
                       "hydra.launcher.num_cpus=1", env=env)
    logs = [job / "job.log" for job in sweep_dir(tmp_path / "other").iterdir() if job.is_dir()]
    nodes = {re.search(r"Ray node (\w+)", log.read_text()).group(1) for log in logs}
    assert len(logs) == 4 and len(nodes) == 2, nodes  # the jobs ran on both nodes
