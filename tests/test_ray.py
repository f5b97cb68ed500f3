"""A sweep on a local Ray cluster gives the basic launcher's results (skipped unless the [ray] extra is installed)."""

import pandas as pd
import pytest

from test_resume import runs_table, sweep

pytest.importorskip("hydra_plugins.hydra_ray_launcher", reason="install the [ray] extra: pip install -e '.[ray]'")


def test_ray_launcher_gives_identical_runs(tmp_path):
    basic, ray = tmp_path / "basic", tmp_path / "ray"
    basic.mkdir(), ray.mkdir()
    assert sweep(basic).returncode == 0
    res = sweep(ray, "hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2")
    assert res.returncode == 0, res.stderr[-3000:]
    pd.testing.assert_frame_equal(runs_table(ray), runs_table(basic))
