"""Config composition (Hydra compose) and validation messages."""

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from sim import load_config
from sim.config import OPTIONS, ConfigError, parameter_doc, parameter_table


def test_defaults_compose_and_validate():
    cfg = load_config()
    assert cfg.graph.kind == "barabasi_albert" and cfg.groups.policy == "cap" and cfg.groups.cap == 500


@pytest.mark.parametrize("group,name", [(g, n) for g, opts in OPTIONS.items() for n in opts])
def test_every_option_composes_with_its_schema(group, name):
    cfg = load_config([f"{group}={name}"])
    assert OmegaConf.get_type(cfg[group]) is OPTIONS[group][name]


@pytest.mark.parametrize("override", ["behavior.foo=1", "graph.k=4", "days=abc", "population.size=1.5"])
def test_unknown_keys_and_wrong_types_fail_at_compose(override):
    with pytest.raises(ConfigCompositionException):
        load_config([override])


@pytest.mark.parametrize("override,key", [
    ("behavior.accept=1.5", "behavior.accept"),
    ("population.size=-5", "population.size"),
    ("groups.cap=0", "groups.cap"),
    ("days=0", "days"),
    ("graph=watts_strogatz", None),
])
def test_out_of_range_values_name_the_key(override, key):
    if key is None:  # a valid config must pass
        load_config([override])
        return
    with pytest.raises(ConfigError, match=rf"{key}=.* out of range: allowed"):
        load_config([override])


def test_odd_lattice_degree_rejected():
    with pytest.raises(ConfigError, match="graph.k=5 must be even"):
        load_config(["graph=watts_strogatz", "graph.k=5"])


def test_parameter_table_lists_every_behavior_key():
    table = parameter_table()
    for key in load_config().behavior:
        assert f"`behavior.{key}`" in table


def test_parameters_doc_is_current():
    from conftest import REPO
    doc = (REPO / "docs" / "parameters.md").read_text()
    assert doc == parameter_doc(), "regenerate: python -m sim.config > docs/parameters.md"


def test_unknown_phase_is_named():
    with pytest.raises(ConfigError, match="phases: chat is not an option: choose from exposure"):
        load_config(["phases=[referral,chat]"])


@pytest.mark.parametrize("override,message", [
    ("+behavior.acept=0.9", r"unknown key 'behavior.acept' \(added with '\+'\): did you mean 'behavior.accept'\? "
                            r"Write behavior.accept=0.9, without '\+'"),
    ("+events.light.participaton=0.2",
     r"did you mean 'events.light.participation'\? Write events.light.participation=0.2"),
    ("+population.sise=500", r"did you mean 'population.size'\? Write population.size=500"),
    ("+foo=1", r"unknown key 'foo' .*no key of the config is called that or anything close"),
])
def test_a_key_added_with_plus_is_refused_with_the_nearest_key(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config([override])


def test_plus_still_adds_config_groups_and_experiment_keys():
    """'+' adds what the schema leaves open: a group outside the defaults list, an experiment's own keys."""
    assert load_config(["+fitted=behavior"]).behavior.participation != load_config().behavior.participation
    assert load_config(["experiment=cases", "+experiment.note=x"]).experiment.note == "x"


def test_an_edge_list_sets_the_population_size():
    from conftest import REPO
    cfg = load_config(["graph=edgelist", f"graph.path={REPO / 'tests' / 'data' / 'three_people.txt'}",
                       "population.initial_members=1"])
    assert cfg.population.size == 3  # the file's people, whatever population.size said (default 10,000)


def test_split_groups_need_a_cap_of_two():
    with pytest.raises(ConfigError, match="groups.cap=1 with groups=split"):
        load_config(["groups=split", "groups.cap=1"])
    assert load_config(["groups=split", "groups.cap=2"]).groups.cap == 2
