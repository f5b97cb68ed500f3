"""The what-if page (solara): one community, two arms of levers, run side by side on paired seeds.

``growthsim-app`` serves it (sim/page/serve.py); docs/app.md explains each control. The page sets only
the parameters it shows; their values go through the CLI's own composition and checks (sim/page/arms.py),
so a bad value gets the CLI's message, shown here, and the previous results stay."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import solara
import solara.lab  # task

from sim.page import arms as A

logging.getLogger("mesa").setLevel(logging.WARNING)
GRAPHS = Path(os.environ["GROWTHSIM_APP_GRAPHS"]) if os.environ.get("GROWTHSIM_APP_GRAPHS") else None
OUT = Path(os.environ.get("GROWTHSIM_APP_OUT", "outputs/app"))
ARMS = ("A", "B")
COLORS = {"A": "#1f77b4", "B": "#d62728"}
REFRESH = 0.5  # seconds between redraws while running

community = solara.reactive(A.Community())
levers = {arm: solara.reactive(A.Levers()) for arm in ARMS}
message = solara.reactive("")
live = solara.reactive(None)        # (tick, Progress) of the run going on or last run
finished = solara.reactive(None)    # the last finished comparison: dict of tables and downloads
drill = solara.reactive("A")
_stop = threading.Event()


def _warm() -> None:
    """Compose a default arm once when the page is first loaded, so the first run starts at once."""
    A.arm_configs(A.Community(seeds=1), {"A": A.Levers()}, None)


threading.Thread(target=_warm, daemon=True).start()


# ---------------------------------------------------------------- controls
def _setter(reactive, attr):
    return lambda v: reactive.set(replace(reactive.value, **{attr: v}))


@solara.component
def CommunityControls():
    c = community.value
    choices = list(A.GENERATORS) + A.graph_files(GRAPHS)
    with solara.Card("The community"):
        solara.Select("graph", values=choices, value=c.graph, on_value=_setter(community, "graph"))
        if c.graph in A.GENERATORS:
            solara.InputInt("population size", value=c.size, on_value=_setter(community, "size"))
        else:
            solara.Text("population: the people in the file")
        solara.InputInt("members on day 0", value=c.initial_members, on_value=_setter(community, "initial_members"))
        solara.InputInt("days", value=c.days, on_value=_setter(community, "days"))
        solara.Select("behaviour", values=list(A.BEHAVIOURS), value=c.behaviour,
                      on_value=_setter(community, "behaviour"))
        solara.InputInt("paired seeds", value=c.seeds, on_value=_setter(community, "seeds"))


@solara.component
def ParamInput(arm: str, group: str, key: str, label: str, value):
    lv = levers[arm]
    set_value = lambda v: lv.set(lv.value.with_value(group, key, v))
    full = f"{arm}: {label}"
    if key == "rule":
        solara.Select(full, values=A.SPLIT_RULES, value=value, on_value=set_value)
    elif isinstance(value, bool):
        solara.Checkbox(label=full, value=value, on_value=set_value)
    elif isinstance(value, int):
        solara.InputInt(full, value=value, on_value=set_value)
    else:
        solara.InputFloat(full, value=float(value), on_value=set_value)


@solara.component
def ArmControls(arm: str):
    lv = levers[arm]
    names = {"incentive": "incentive scheme", "groups": "group policy", "cadence": "cadence",
             "operations": "operator routine"}
    with solara.Card(f"Arm {arm}"):
        for group, options in A.OPTIONS.items():
            option = getattr(lv.value, group)
            solara.Select(f"{arm}: {names[group]}", values=options, value=option,
                          on_value=lambda o, g=group: lv.set(lv.value.with_option(g, o)))
            shown = A.PARAMS.get((group, option), {})
            if shown:
                start = A.defaults(group, option)
                for key, label in shown.items():
                    ParamInput(arm, group, key, label, lv.value.values.get((group, key), start[key]))


# ---------------------------------------------------------------- running
@solara.lab.task(prefer_threaded=True)
def run_comparison(configs: dict, seeds: list[list[str]], c: A.Community, arm_levers: dict) -> None:
    last = [0.0, 0]  # time of the last redraw, seeds finished then

    def update(progress: A.Progress) -> None:
        now = time.perf_counter()
        if now - last[0] >= REFRESH or progress.done_seeds != last[1]:
            last[:] = now, progress.done_seeds
            live.set((now, progress))

    try:
        progress = A.run_arms(configs, update, _stop)
    except MemoryError:
        message.set("out of memory: lower the population size")
        return
    live.set((time.perf_counter(), progress))
    if progress.runs:
        finished.set(_results(progress, seeds, c, arm_levers))
    if progress.stopped:
        message.set(f"stopped by you after {progress.done_seeds} finished seed(s) of {progress.seeds}")


def _results(progress: A.Progress, seeds, c: A.Community, arm_levers: dict) -> dict:
    """The finished comparison's tables and files, also written to a folder of its own under the output folder."""
    base = A.community_overrides(c, GRAPHS)
    files = {}
    for arm in progress.runs:
        note = (f"arm {arm} of the what-if page, seed 0 of {len(seeds)}; "
                f"run it: growthsim --config-dir DIR --config-name arm_{arm} (DIR: the folder of this file)")
        if c.behaviour == "ensemble":
            note += "\nunder the ensemble each seed takes another set: see seed_overrides in runs.csv"
        files[f"arm_{arm}.yaml"] = A.arm_yaml([*base, *arm_levers[arm].overrides(), *seeds[0]], note).encode()
    table = A.summary(progress)
    files["summary.csv"] = table.to_csv(index=False).encode()
    files["runs.csv"] = A.runs_table(progress, seeds).to_csv(index=False).encode()
    files["timeseries.csv"] = A.timeseries_table(progress).to_csv(index=False).encode()
    folder = OUT / time.strftime("%Y-%m-%d_%H-%M-%S")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {"table": table, "files": files, "folder": folder, "seeds": progress.done_seeds}


def start() -> None:
    from sim.app.cli import INPUT_ERRORS, input_message

    c = community.value
    arm_levers = {arm: levers[arm].value for arm in ARMS}
    try:
        configs = A.arm_configs(c, arm_levers, GRAPHS)
        seeds = A.seed_overrides(c)
    except INPUT_ERRORS as err:
        message.set(input_message(err))
        return
    message.set("")
    _stop.clear()
    run_comparison(configs, seeds, c, arm_levers)


# ---------------------------------------------------------------- plots and tables
def _mean_band(per_seed: dict, key: str):
    import numpy as np

    runs = [s[key] for s in per_seed.values()]
    y = np.full((len(runs), max(len(r) for r in runs)), np.nan)
    for i, r in enumerate(runs):
        y[i, :len(r)] = r
    return np.nanmean(y, axis=0), np.nanmin(y, axis=0), np.nanmax(y, axis=0)


def _line(name: str, y, color: str | None = None, **style) -> dict:
    """One ECharts line series (``color`` None: the chart's palette)."""
    return {"name": name, "type": "line", "data": [round(float(v), 4) for v in y], "showSymbol": False,
            "lineStyle": {"width": 1.6}, **({"color": color} if color else {}), **style}


def chart(title: str, days: int, series: list[dict], legend: list[str] | None = None) -> dict:
    """An ECharts option (drawn in the browser: a redraw costs the server only the numbers)."""
    return {"title": {"text": title, "textStyle": {"fontSize": 12}}, "animation": False,
            "tooltip": {"trigger": "axis"}, "legend": {"top": 18, "textStyle": {"fontSize": 10}, "data": legend},
            "grid": {"left": 50, "right": 12, "top": 48, "bottom": 28},
            "xAxis": {"type": "category", "data": list(range(days + 1)), "name": "day"},
            "yAxis": {"type": "value", "scale": True}, "series": series}


def growth_charts(progress: A.Progress | None, days: int) -> list[dict]:
    """One chart per live series: each arm's mean over seeds and, with several seeds, the band from the
    lowest to the highest seed."""
    out = []
    for key, title in A.SERIES.items():
        series = []
        for arm, per_seed in (progress.series.items() if progress else []):
            mean, low, high = _mean_band(per_seed, key)
            series.append(_line(f"arm {arm}", mean, COLORS[arm]))
            if len(per_seed) > 1:
                stack = f"band {arm}"
                series.append(_line(f"{arm} lowest seed", low, COLORS[arm], stack=stack, lineStyle={"opacity": 0},
                                    tooltip={"show": False}))
                series.append(_line(f"{arm} seed range", high - low, COLORS[arm], stack=stack,
                                    lineStyle={"opacity": 0}, areaStyle={"opacity": 0.18}, tooltip={"show": False}))
        out.append(chart(title, days, series, [f"arm {arm}" for arm in ARMS]))
    return out


def drill_charts(progress: A.Progress | None, arm: str, days: int) -> list[dict]:
    """Seed 0 of one arm: people by state (stacked), and the size of every group per day."""
    import numpy as np

    states, groups = [], []
    if progress is not None and progress.states.get(arm):
        st = np.array(progress.states[arm]).T
        states = [_line(name, st[i], stack="people", areaStyle={"opacity": 0.6})
                  for i, name in enumerate(A.STATES) if name != "outsiders"]
        sizes = progress.groups[arm]
        width = max(len(s) for s in sizes)
        for g in range(min(width, 30)):
            groups.append(_line(f"group {g + 1}", [s[g] if g < len(s) else 0 for s in sizes],
                                lineStyle={"width": 1}))
    return [chart(f"arm {arm}, seed 0: members by state", days, states, A.STATES[1:]),
            chart(f"arm {arm}, seed 0: group sizes (largest first)", days, groups, [])]


CHART_STYLE = {"style": "height: 260px; width: 100%"}


@solara.component
def Charts(options: list[dict], columns: int):
    with solara.ColumnsResponsive(12 // columns):
        for option in options:
            solara.FigureEcharts(option=option, attributes=CHART_STYLE)


def _fmt(v: float) -> str:
    import math

    if v is None or not math.isfinite(v):
        return "–"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


@solara.component
def SummaryTable(result: dict):
    table = result["table"]
    diff = [c for c in table.columns if "−" in c]
    head = ["measure", *ARMS, *(diff and [f"{diff[0]} [95% interval]"])]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table.to_dict("records"):
        cells = [r["measure"], *[_fmt(r[a]) for a in ARMS]]
        if diff:
            cells.append(f"{_fmt(r[diff[0]])} [{_fmt(r['low'])}, {_fmt(r['high'])}]")
        rows.append("| " + " | ".join(cells) + " |")
    solara.Markdown(f"**Summary over {result['seeds']} paired seeds** (written to `{result['folder']}`)\n\n"
                    + "\n".join(rows))
    with solara.Row():
        for name, data in result["files"].items():
            DownloadLink(name, data)


@solara.component
def DownloadLink(name: str, data: bytes):
    """A link that saves ``data`` as ``name`` (solara.FileDownload does not show with this ipyvuetify)."""
    import base64

    href = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    solara.HTML(tag="a", unsafe_innerHTML=f"download {name}", classes=["growthsim-download"],
                attributes={"href": href, "download": name},
                style="margin-right: 16px; color: #1f4fa8; text-decoration: underline")


@solara.component
def Problem(text: str):
    """A message about the input, in the CLI's words (solara.Error does not build with this ipyvuetify)."""
    solara.Text(text, classes=["growthsim-problem"],
                style={"color": "#b00020", "white-space": "pre-wrap", "display": "block", "margin": "8px 0"})


@solara.component
def LiveView():
    """The plots, the summary and the drill-in view: the only part redrawn while the arms run."""
    tick = live.value
    progress = tick[1] if tick else None
    days = progress.days if progress else community.value.days
    running = run_comparison.pending and progress is not None
    solara.Text(f"running: seed {min(progress.done_seeds + 1, progress.seeds)} of {progress.seeds}" if running
                else "")
    Charts(growth_charts(progress, days), 4)
    with solara.Column():  # always there: the widgets around it keep their place and are not rebuilt
        if finished.value is not None:
            SummaryTable(finished.value)
    with solara.Card("Drill into one arm"):
        solara.ToggleButtonsSingle(value=drill, values=list(ARMS))
        Charts(drill_charts(progress, drill.value, days), 2)


@solara.component
def Page():
    solara.Title("growthsim: what if")
    running = run_comparison.pending
    with solara.Columns([1, 1, 1]):
        CommunityControls()
        for arm in ARMS:
            ArmControls(arm)
    with solara.Row():
        solara.Button("Run both arms", on_click=start, disabled=running, color="primary")
        solara.Button("Stop", on_click=_stop.set, disabled=not running)
    with solara.Column():  # always there, so that LiveView keeps its place and its plots
        if message.value:
            Problem(message.value)
        if run_comparison.error:
            Problem(f"the run failed: {run_comparison.exception}")
    LiveView()
