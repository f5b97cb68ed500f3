"""Named random streams derived from one seed (common random numbers).

Each kind of decision (participation, leaving, invitations, ...) draws from its own
``numpy.random.Generator``, spawned from the run's seed and the stream's name. Changing how
often one decision draws never shifts the numbers another decision sees, so two arms of an
experiment run with the same seed differ only where their levers differ (paired comparisons).
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    """``streams["leave"]`` is the generator of the decision named ``leave``; same seed, same numbers."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._gens: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._gens:
            # the name's CRC32 (stable across processes, unlike hash()) keys the child sequence
            seq = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()),))
            self._gens[name] = np.random.Generator(np.random.PCG64(seq))
        return self._gens[name]

    def uniform(self, name: str, n: int) -> np.ndarray:
        """One uniform number in [0, 1) per person, so person i's draw does not depend on who else draws."""
        return self[name].random(n, dtype=np.float32)
