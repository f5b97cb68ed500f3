"""Named random streams derived from one seed (common random numbers).

Each kind of decision (participation, leaving, invitations, ...) has its own stream, keyed by the
run's seed and the decision's name. A daily decision's number for person j on day t is a hash of
(stream key, t, j) (the SplitMix64 finalizer, a counter-based generator), computed only for the
people who decide: person j's number never depends on who else decides or on how often another
decision draws. So two arms of an experiment with the same seed differ only where their levers
differ (paired comparisons), and the cost of a draw scales with the deciders, not the population.
Set-up draws (graph, traits) use ordinary numpy Generators spawned from the same seed.
"""

from __future__ import annotations

import zlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))


def _mix_int(x: int) -> int:
    """SplitMix64 finalizer on one Python int (for the per-day key: cheaper than a 1-element array)."""
    x &= 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finalizer, in place on a uint64 array (wrapping arithmetic)."""
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


class Streams:
    """``streams.uniform("leave", persons, day)``: one number in [0, 1) per person; ``streams["graph"]``: a Generator."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._gens: dict[str, np.random.Generator] = {}
        self._keys: dict[str, int] = {}
        self._ahead: tuple[tuple, dict[str, np.ndarray]] = ((None, None), {})  # see ``draw_ahead``

    def _seq(self, name: str) -> np.random.SeedSequence:
        # the name's CRC32 (stable across processes, unlike hash()) keys the child sequence
        return np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()),))

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._gens:
            self._gens[name] = np.random.Generator(np.random.PCG64(self._seq(name)))
        return self._gens[name]

    def uniform(self, name: str, persons: np.ndarray, day: int) -> np.ndarray:
        """The decision ``name``'s uniform number for each of ``persons`` on ``day``."""
        ahead_for, ahead = self._ahead
        if ahead_for[0] is persons and ahead_for[1] == day and name in ahead:
            return ahead[name]
        if not len(persons):
            return np.zeros(0)
        return self._hash(np.uint64(self._day_key(name, day)), persons)

    def draw_ahead(self, names: tuple[str, ...], persons: np.ndarray, day: int) -> None:
        """Compute several decisions' numbers for the same ``persons`` (the very array) in one pass; ``uniform``
        then returns them (the same numbers: a pass costs about the same for one decision as for a few)."""
        keys = np.array([self._day_key(name, day) for name in names], dtype=np.uint64)
        rows = self._hash(keys[:, None], persons) if len(persons) else np.zeros((len(names), 0))
        self._ahead = ((persons, day), dict(zip(names, rows)))

    def _day_key(self, name: str, day: int) -> int:
        if name not in self._keys:
            self._keys[name] = int(self._seq(name).generate_state(1, np.uint64)[0])
        return _mix_int(self._keys[name] + int(_GOLDEN) * (day + 1))

    @staticmethod
    def _hash(day_key, persons: np.ndarray) -> np.ndarray:
        x = np.multiply(persons, _GOLDEN, dtype=np.uint64, casting="unsafe")  # ids are non-negative
        x = x + day_key  # (a column of keys gives one row per key)
        x = _mix(x)
        x >>= _S11
        return x * (1.0 / 2**53)
