"""The what-if page's components rendered with solara's own test renderer (no browser, no server):
which controls each shows, and that using them changes the page's state."""

from __future__ import annotations

import pytest

solara = pytest.importorskip("solara", reason="the page needs the app extra: pip install -e '.[app]'")
v = pytest.importorskip("ipyvuetify")

from sim.page import app  # noqa: E402
from sim.page import arms as A  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_state():
    """Every test starts from the page's defaults."""
    app.community.set(A.Community())
    for arm in app.ARMS:
        app.levers[arm].set(A.Levers())
    app.message.set("")
    yield


def labels(rc, widget) -> list[str]:
    return [w.label for w in rc.find(widget).widgets]


def test_community_controls_show_a_generator_with_its_size():
    _, rc = solara.render(app.CommunityControls(), handle_error=False)
    assert labels(rc, v.TextField) == ["population size", "members on day 0", "days", "paired seeds"]
    graph = rc.find(v.Select, label="graph").widget
    assert graph.items == list(A.GENERATORS) and graph.v_model == "barabasi_albert"


def test_a_graph_file_replaces_the_population_size(tmp_path, monkeypatch):
    (tmp_path / "contacts.txt").write_text("0 1\n1 2\n")
    monkeypatch.setattr(app, "GRAPHS", tmp_path)
    _, rc = solara.render(app.CommunityControls(), handle_error=False)
    graph = rc.find(v.Select, label="graph").widget
    assert graph.items == [*A.GENERATORS, "contacts.txt"]
    graph.v_model = "contacts.txt"
    assert app.community.value.graph == "contacts.txt"
    assert "population size" not in labels(rc, v.TextField)
    rc.find(v.Html, children=["population: the people in the file"]).assert_single()


def test_choosing_an_incentive_shows_its_parameters_at_their_config_defaults():
    _, rc = solara.render(app.ArmControls("B"), handle_error=False)
    assert "B: reward per qualifying inviter (yuan)" not in labels(rc, v.TextField)
    rc.find(v.Select, label="B: incentive scheme").widget.v_model = "invite_reward"
    assert app.levers["B"].value.incentive == "invite_reward"
    assert app.levers["A"].value == A.Levers()  # the other arm is untouched
    fields = {w.label: w.v_model for w in rc.find(v.TextField).widgets}
    start = A.defaults("incentive", "invite_reward")
    assert int(fields["B: friends who must join to qualify"]) == start["threshold"]
    assert float(fields["B: reward per qualifying inviter (yuan)"]) == start["reward"]


def test_a_split_policy_offers_the_split_rules():
    _, rc = solara.render(app.ArmControls("A"), handle_error=False)
    rc.find(v.Select, label="A: group policy").widget.v_model = "split"
    rule = rc.find(v.Select, label="A: split rule").widget
    assert rule.items == A.SPLIT_RULES
    rule.v_model = "interest"
    assert app.levers["A"].value.values[("groups", "rule")] == "interest"
    assert "groups.rule=interest" in app.levers["A"].value.overrides()


def test_a_bad_value_is_shown_and_nothing_runs():
    app.levers["B"].set(A.Levers().with_value("groups", "cap", -5))
    app.start()
    assert "groups.cap=-5 is out of range" in app.message.value
    assert not app.run_comparison.pending
    _, rc = solara.render(app.Problem(app.message.value), handle_error=False)
    assert "groups.cap" in rc.find(v.Html).widget.children[0]


def test_the_summary_offers_every_file_for_download():
    progress = A.run_arms(A.arm_configs(A.Community(size=500, days=10, seeds=2),
                                        {"A": A.Levers(), "B": A.Levers()}, None))
    files = {"arm_A.yaml": b"days: 10\n", "runs.csv": b"arm,seed\n"}
    result = {"table": A.summary(progress), "files": files, "folder": "out", "seeds": 2}
    _, rc = solara.render(app.SummaryTable(result), handle_error=False)
    links = rc.find(solara.widgets.HTML, tag="a").widgets
    assert [w.attributes["download"] for w in links] == list(files)
    assert all(w.attributes["href"].startswith("data:application/octet-stream;base64,") for w in links)
