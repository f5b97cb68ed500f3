"""Config composition (Hydra compose) and validation messages."""

import functools
from dataclasses import fields

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from sim import load_config
from sim.components.groups import Cap
from sim.config import CONF_DIR, GRAPHS, LEVERS, ConfigError, built_in, parameter_doc, parameter_table, validate

# every option of a config group: its yaml in conf/<group>/
OPTIONS = [(group, path.stem) for group in (*LEVERS, "mechanisms")
           for path in sorted((CONF_DIR / group).glob("*.yaml"))]


@functools.cache
def _chosen(group: str, name: str):
    """The checked config with the option ``name`` of ``group`` (a mechanism: listed), in a community with
    sub-topics (an option may split groups by them)."""
    return validate(load_config([f"+mechanisms={name}" if group == "mechanisms" else f"{group}={name}",
                                 "population.topics=3"]))


def test_defaults_compose_and_validate():
    cfg = load_config()
    spec = validate(cfg)
    assert cfg.graph.kind == "barabasi_albert" and spec.groups.cls is Cap and spec.groups.cap == 500
    assert spec.mechanisms == {}  # no mechanism beyond the base formulas unless listed


@pytest.mark.parametrize("kind", GRAPHS)
def test_every_graph_option_composes_with_its_schema(kind):
    assert OmegaConf.get_type(load_config([f"graph={kind}"]).graph) is GRAPHS[kind]


@pytest.mark.parametrize("group,name", OPTIONS)
def test_every_option_names_a_built_in_component_of_its_group(group, name):
    """A lever option is one component of its group (``_target_``); a listed mechanism is the component of its name."""
    spec = _chosen(group, name)
    if group == "mechanisms":
        assert list(spec.mechanisms) == [name] and spec.mechanisms[name].cls is built_in()["mechanisms"][name]
    else:
        assert getattr(spec, group).cls in built_in()[group].values()


def test_every_built_in_component_has_an_option():
    """No component the package registers is out of reach of the config (cadence, operations: one class, many yamls)."""
    used = {getattr(_chosen(g, n), g).cls for g, n in OPTIONS if g != "mechanisms"}
    for group, components in built_in().items():
        for name, cls in components.items():
            assert cls in used or (group == "mechanisms" and (group, name) in OPTIONS), f"{group}/{name}: no yaml"


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


def test_parameter_table_lists_every_behavior_and_component_key():
    table = parameter_table()
    for key in load_config().behavior:
        assert f"`behavior.{key}`" in table
    for group, components in built_in().items():
        for name, cls in components.items():
            prefix = f"mechanisms.{name}." if group == "mechanisms" else f"{group}."
            for f in fields(cls.Params):
                assert f"`{prefix}{f.name}`" in table or "description" not in f.metadata, prefix + f.name


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


def _hydra_compose(overrides: list[str]):
    """The config Hydra itself composes for ``overrides`` in one step (no cache)."""
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=overrides)


def _every_case_arm() -> list[list[str]]:
    from experiments.cases import ARMS, select_cases

    return [c.overrides(arm) for c in select_cases(["all"]) for arm in ARMS]


COMPOSED = [[], ["days=30", "seed=4"], ["graph=complete", "population.size=50"],
            ["incentive=points", "incentive.level_points=80", "cadence=three_two_one", "reduction=bass"],
            ["+mechanisms=[muting,satiation]", "mechanisms.muting.fatigue=0.3"], ["+mechanisms.satiation.cycle=9"],
            ["+fitted=behavior", "groups=split", "groups.cap=300", "behavior.participation=0.2"],
            ["operations=none", "operations.actions=[{target:silent,event:benefit_push,every:7,start:5}]"]]


@pytest.mark.parametrize("overrides", COMPOSED + _every_case_arm(), ids=lambda o: " ".join(o)[:60] or "defaults")
def test_load_config_is_what_hydra_composes(overrides):
    """load_config keeps Hydra's composition of the group choices and applies the values itself (Hydra's own
    step): the result equals one ``hydra.compose``, in any order of calls (the cache is warm here)."""
    load_config(overrides)
    ours = load_config(overrides)
    assert OmegaConf.to_yaml(ours) == OmegaConf.to_yaml(_hydra_compose(overrides))
    ours.days = 1234  # the cached composition is copied, never changed
    assert load_config(overrides).days != 1234 or "days=1234" in overrides


@pytest.mark.parametrize("overrides", [["days=a,b"], ["nosuchkey=1"], ["days=-3"], ["incentive=nosuch"],
                                       ["population.size=ten"]])
def test_load_config_fails_as_hydra_does(overrides):
    """Bad overrides fail with the error one ``hydra.compose`` gives (validation then adds the ranges)."""
    with pytest.raises(Exception) as ours:
        load_config(overrides)
    try:
        validate(_hydra_compose(overrides))
    except Exception as err:  # noqa: BLE001
        assert type(ours.value) is type(err) and str(ours.value) == str(err)
    else:
        pytest.fail(f"hydra.compose accepted {overrides}")
