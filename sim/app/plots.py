"""Figures of a run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_growth(ts, path) -> None:
    """Members, active share, referral joins and leavers over time, in four panels."""
    fig, ax = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True)
    day = ts["day"]
    ax[0, 0].plot(day, ts["members"], color="C0")
    ax[0, 0].set_title("members")
    share = (ts["active"] / ts["members"].where(ts["members"] > 0)).fillna(0)
    ax[0, 1].plot(day, 100 * share, color="C1", label="active today")
    ax[0, 1].plot(day, 100 * (ts["weekly_active"] / ts["members"].where(ts["members"] > 0)).fillna(0),
                  color="C2", label="active in last 7 days")
    ax[0, 1].set_title("active share of members (%)")
    ax[0, 1].legend(frameon=False)
    ax[1, 0].plot(day, ts["new_by_referral"], color="C3", label="by referral")
    ax[1, 0].plot(day, ts["new_organic"], color="C4", label="organic")
    ax[1, 0].set_title("new members per day")
    ax[1, 0].legend(frameon=False)
    ax[1, 1].plot(day, ts["left"], color="C5")
    ax[1, 1].set_title("members leaving per day")
    for a in ax[1]:
        a.set_xlabel("day")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
