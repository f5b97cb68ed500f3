"""Shared fixtures: small runs reused across tests (the suite must stay fast on 2 cores)."""

from pathlib import Path

import pytest

from sim import load_config, simulate

REPO = Path(__file__).resolve().parents[1]
FACEBOOK = REPO.parent / "shared" / "data" / "facebook_combined.txt"


def small(*overrides: str):
    """A small, quick config: 3,000 people over 90 days, no progress bar."""
    return load_config(["population.size=3000", "days=90", "progress=false", *overrides])


def same_run(*overrides: str, change: str) -> bool:
    """Whether ``change`` leaves the small run of ``overrides`` exactly as it was (the same time series)."""
    return simulate(small(*overrides)).timeseries.equals(simulate(small(*overrides, change)).timeseries)


@pytest.fixture(scope="session")
def base_run():
    return simulate(small("seed=11"))
