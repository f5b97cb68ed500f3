"""growthsim: agent-based growth simulator for online communities.

    from sim import load_config, simulate
    run = simulate(load_config(["population.size=20000", "days=180", "seed=3"]))
    run.timeseries, run.summary
"""

from sim.app.run import Run, load_config, simulate, write_outputs

__all__ = ["Run", "load_config", "simulate", "write_outputs"]
