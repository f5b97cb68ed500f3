"""Chat groups: per-group columns and the placement of joiners under a group policy.

``unlimited`` keeps one group that grows without bound (the mega group); ``cap`` fills a group
up to ``cap`` members and opens a new one for later joiners. Referred joiners go to their
inviter's group when it has room. Group size matters only through the dynamics in the model
(message volume, crowding); no policy carries a bonus of its own.
"""

from __future__ import annotations

import numpy as np

UNBOUNDED = np.iinfo(np.int64).max // 4


class Groups:
    """Columns indexed by group id: ``size`` (members now) and ``active`` (members active today)."""

    def __init__(self, cfg):
        self.policy = cfg.policy
        self.cap = int(cfg.cap) if self.policy == "cap" else UNBOUNDED
        self.size = np.zeros(0, dtype=np.int64)
        self.active = np.zeros(0, dtype=np.int64)

    @property
    def count(self) -> int:
        return len(self.size)

    def _open(self, n: int) -> np.ndarray:
        """Append ``n`` empty groups; return their ids."""
        first = self.count
        self.size = np.concatenate([self.size, np.zeros(n, dtype=np.int64)])
        self.active = np.concatenate([self.active, np.zeros(n, dtype=np.int64)])
        return np.arange(first, first + n)

    def place(self, preferred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Assign a group to each joiner; ``preferred`` is a group id or -1 (no preference).

        Returns (group of each joiner, ids of groups opened for them).
        """
        out = np.full(len(preferred), -1, dtype=np.int64)
        want = np.flatnonzero(preferred >= 0)
        if len(want):
            order = want[np.argsort(preferred[want], kind="stable")]
            g = preferred[order]
            rank = np.arange(len(g)) - np.searchsorted(g, g, side="left")  # position within its group
            fits = rank < self.cap - self.size[g]
            out[order[fits]] = g[fits]
            self.size += np.bincount(g[fits], minlength=self.count)
        rest = np.flatnonzero(out < 0)
        opened = np.zeros(0, dtype=np.int64)
        if len(rest):
            room = self.cap - self.size[-1] if self.count else 0  # the newest group takes newcomers first
            into_last = min(room, len(rest))
            if into_last:
                out[rest[:into_last]] = self.count - 1
            overflow = rest[into_last:]
            if len(overflow):
                opened = self._open(-(-len(overflow) // self.cap))
                out[overflow] = opened[np.arange(len(overflow)) // self.cap]
            self.size += np.bincount(out[rest], minlength=self.count)
        return out, opened

    def remove(self, groups_of_leavers: np.ndarray) -> None:
        """Take leavers out of their groups' sizes."""
        self.size -= np.bincount(groups_of_leavers, minlength=self.count)
