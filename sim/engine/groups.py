"""Chat groups: per-group columns and the placement of joiners, up to a group policy's limit.

Which limit, and what happens to a full or declining group, is the group policy's
(``sim.components.groups``); group size matters only through the dynamics in the model (message
volume, crowding).
"""

from __future__ import annotations

import numpy as np

UNBOUNDED = np.iinfo(np.int64).max // 4


class Groups:
    """Columns indexed by group id: ``size`` (members now), ``active`` (members active today) and
    ``low_days`` (consecutive days below the policy's merge share); joiners are placed up to ``limit``."""

    def __init__(self, limit: int = UNBOUNDED):
        self.limit = limit
        self.size = np.zeros(0, dtype=np.int64)
        self.active = np.zeros(0, dtype=np.int64)
        self.low_days = np.zeros(0, dtype=np.int64)

    @property
    def count(self) -> int:
        return len(self.size)

    def open(self, n: int) -> np.ndarray:
        """Append ``n`` empty groups; return their ids."""
        first = self.count
        self.size = np.concatenate([self.size, np.zeros(n, dtype=np.int64)])
        self.active = np.concatenate([self.active, np.zeros(n, dtype=np.int64)])
        self.low_days = np.concatenate([self.low_days, np.zeros(n, dtype=np.int64)])
        return np.arange(first, first + n)

    def place(self, n: int, preferred: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Assign a group to each of ``n`` joiners; ``preferred``: a group id for each, or -1 (no
        preference); None: no one has a preference.

        Returns (group of each joiner, ids of groups opened for them).
        """
        if preferred is not None and n and preferred.min() >= 0:  # the usual case: every preferred group has room
            counts = np.bincount(preferred, minlength=self.count)
            if self.limit == UNBOUNDED or (counts <= self.limit - self.size).all():
                self.size += counts
                return preferred, np.zeros(0, dtype=np.int64)
        out = np.full(n, -1, dtype=np.int64)
        want = np.flatnonzero(preferred >= 0) if preferred is not None else ()
        if len(want):
            order = want[np.argsort(preferred[want], kind="stable")]
            g = preferred[order]
            rank = np.arange(len(g)) - np.searchsorted(g, g, side="left")  # position within its group
            fits = rank < self.limit - self.size[g]
            out[order[fits]] = g[fits]
            np.add.at(self.size, g[fits], 1)
        rest = np.flatnonzero(out < 0) if len(want) else np.arange(n)
        opened = np.zeros(0, dtype=np.int64)
        if len(rest):
            room = self.limit - self.size[-1] if self.count else 0  # the newest group takes newcomers first
            into_last = min(room, len(rest))
            if into_last:
                out[rest[:into_last]] = self.count - 1
                self.size[-1] += into_last
            overflow = len(rest) - into_last
            if overflow:
                chunk = np.arange(overflow) // self.limit  # consecutive new groups of `limit` each
                opened = self.open(chunk[-1] + 1)
                out[rest[into_last:]] = opened[chunk]
                self.size[opened] = np.bincount(chunk)
        return out, opened

    def remove(self, groups_of_leavers: np.ndarray) -> None:
        """Take leavers out of their groups' sizes."""
        self.size -= np.bincount(groups_of_leavers, minlength=self.count)
