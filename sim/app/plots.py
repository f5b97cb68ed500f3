"""Figures of a run."""

from __future__ import annotations


def plot_growth(ts, path) -> None:
    """Members, active share, referral joins and leavers over time, in four panels.

    Drawn on a bare ``Figure`` with the Agg canvas and fixed margins: no pyplot (its import and
    state) and no layout engine (it measures every label's text), the two larger costs of a run's
    figure (docs/benchmark.md)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 6.5))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.95, hspace=0.25, wspace=0.18)
    ax = fig.subplots(2, 2, sharex=True)
    day = ts["day"]
    members = ts["members"].where(ts["members"] > 0)
    ax[0, 0].plot(day, ts["members"], color="C0")
    ax[0, 0].set_title("members")
    ax[0, 1].plot(day, 100 * (ts["active"] / members).fillna(0), color="C1", label="active today")
    ax[0, 1].plot(day, 100 * (ts["weekly_active"] / members).fillna(0), color="C2", label="active in last 7 days")
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
    fig.savefig(path, dpi=110, format="png")
