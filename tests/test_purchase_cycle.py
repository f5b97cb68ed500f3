"""The product's purchase cycle (``mechanisms=purchase_cycle``, its ``days``; sector context; docs/model.md)."""

import numpy as np

from conftest import same_run, small
from sim import load_config
from sim.engine.model import CommunityModel

BUYING = ("population.initial_members=1000", "days=60", "behavior.purchase_rate=0.1", "seed=3")


def _purchase_days(*overrides: str) -> tuple[CommunityModel, np.ndarray]:
    """The model after its days, and who bought on each day (days x people)."""
    model = CommunityModel(small(*BUYING, *overrides))
    bought = np.zeros((model.cfg.days, model.n), dtype=bool)
    for t in range(model.cfg.days):
        before = model.purchases.copy()
        model.step()
        bought[t] = model.purchases > before
    return model, bought


def test_a_one_day_cycle_holds_nothing_back():
    """min(1, d / 1) is 1 for anyone who bought a day or more ago: the same run as with no cycle, while a
    longer cycle holds some back."""
    assert "purchase_cycle" not in load_config().mechanisms
    assert same_run(*BUYING, change="+mechanisms.purchase_cycle.days=1")
    assert not same_run(*BUYING, change="+mechanisms.purchase_cycle.days=2")


def test_a_cycle_holds_back_repeat_purchases_only():
    free, bought_free = _purchase_days()
    cyc, bought_cyc = _purchase_days("+mechanisms.purchase_cycle.days=365")
    # purchases draw from their own stream and feed back into nothing else: the membership path is unchanged
    assert np.array_equal(free.status, cyc.status) and np.array_equal(free.last_active, cyc.last_active)
    # a first purchase is not held back: the same people buy for the first time on the same day
    first_free = np.where(bought_free.any(axis=0), bought_free.argmax(axis=0), -1)
    first_cyc = np.where(bought_cyc.any(axis=0), bought_cyc.argmax(axis=0), -1)
    assert np.array_equal(first_free, first_cyc) and (first_free >= 0).sum() > 100
    # ... but buying again, within a year of the last purchase, is far rarer
    repeat_free, repeat_cyc = (free.purchases >= 2).sum(), (cyc.purchases >= 2).sum()
    assert repeat_free > 100 and repeat_cyc < 0.2 * repeat_free
    assert np.array_equal(cyc.last_bought >= 0, cyc.purchases > 0)


def test_the_hold_back_wears_off_over_the_cycle():
    """A member who bought d days ago buys again at min(1, d / cycle) of the usual chance: a short cycle
    holds back less than a long one, and one day (a daily product) holds back nothing."""
    repeats = {c: (_purchase_days(f"+mechanisms.purchase_cycle.days={c}")[0].purchases >= 2).sum()
               for c in (1, 30, 365)}
    free = (_purchase_days()[0].purchases >= 2).sum()
    assert repeats[1] == free
    assert free > repeats[30] > repeats[365]
