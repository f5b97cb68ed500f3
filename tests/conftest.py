"""Shared fixtures: small runs reused across tests (the suite must stay fast on 2 cores)."""

from pathlib import Path

import pytest

from sim import load_config, simulate

REPO = Path(__file__).resolve().parents[1]
FACEBOOK = REPO.parent / "shared" / "data" / "facebook_combined.txt"


def small(*overrides: str):
    """A small, quick config: 3,000 people over 90 days, no progress bar."""
    return load_config(["population.size=3000", "days=90", "progress=false", *overrides])


@pytest.fixture(scope="session")
def base_run():
    return simulate(small("seed=11"))
