"""The member table: one row per person who was ever a member, for measures of one's own
(definitions in docs/metrics.md, "members.parquet")."""

from __future__ import annotations

import numpy as np

COLUMNS = ("person", "file_id", "joined", "left", "muted", "interactions", "referrer", "referrals", "purchases",
           "group")


def member_table(model, labels: np.ndarray | None = None):
    """A pyarrow Table of every person who was ever a member; ``labels``: the ids used in the graph's file
    (index = person), for a graph read from one (``file_id``, else empty)."""
    import pyarrow as pa

    ever = np.flatnonzero(model.joined >= 0)
    left = model.left[ever]
    gone = left >= 0
    muting = model.mechanisms.get("muting")
    muted = muting.muted[ever] & ~gone if muting is not None else np.zeros(len(ever), dtype=bool)
    referrer = model.referrer[ever]
    columns = {
        "person": pa.array(ever, pa.int64()),
        "file_id": pa.array(labels[ever], pa.int64()) if labels is not None else pa.nulls(len(ever), pa.int64()),
        "joined": pa.array(model.joined[ever], pa.int32()),
        "left": pa.array(left, pa.int32(), mask=~gone),
        "muted": pa.array(muted, pa.bool_()),
        "interactions": pa.array(model.days_active[ever], pa.int32()),
        "referrer": pa.array(referrer, pa.int64(), mask=referrer < 0),
        "referrals": pa.array(model.referrals[ever], pa.int32()),
        "purchases": pa.array(model.purchases[ever], pa.int32()),
        "group": pa.array(np.where(gone, model.left_group[ever], model.group[ever]), pa.int64()),
    }
    return pa.table(columns)
