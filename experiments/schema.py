"""The schemas of the experiment configs and the case configs, checked by pydantic.

One model per driver's ``experiment:`` node (``conf/experiment/NAME.yaml``): ``Comparison``
(``compare``, the default), ``CaseReproduction`` (``cases``) and ``Calibration`` (``calibrate``);
one for a case (``conf/case/cNN.yaml``): ``Case`` with its ``Target``s. Each key's type, allowed
range or choices and default is declared here, once; unknown keys are refused. ``parse`` turns
pydantic's first complaint into one line naming the key, the value and the allowed range or
choices (``ExperimentError``: exit status 2).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

import annotated_types as at
from omegaconf import DictConfig, ListConfig, OmegaConf
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, \
    ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticUndefined

from experiments.runner import COUNT, SHARE, ExperimentError
from sim.measures.cases import MEASURES

SAFE_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")  # names that become folder names


class Schema(BaseModel):
    """A config node: unknown keys are refused."""
    model_config = ConfigDict(extra="forbid")


def _safe(name: str) -> str:
    if not SAFE_NAME.match(name):
        raise ValueError("must use only letters, digits and _ . + -")
    return name


def _listed(value: Any) -> Any:
    """``all`` or ``c01,c04`` -> a list of names; a list stays a list."""
    return [n.strip() for n in value.split(",")] if isinstance(value, str) else value


Name = Annotated[str, AfterValidator(_safe)]
Overrides = Annotated[list[str], BeforeValidator(lambda v: [] if v is None else v)]
Cases = Annotated[list[str], BeforeValidator(_listed),
                  Field(description="which cases: all, one (c01) or a list ([c01, c04]); case=c01 on the "
                                    "command line takes precedence")]
Workers = Annotated[int, Field(ge=1, description="runs at once")]
Level = Annotated[float, Field(gt=0, lt=1, description="confidence level of every interval")]


# ---------------------------------------------------------------- experiment nodes, one per driver
class Comparison(Schema):
    """``compare``: arms over paired seeds, compared with a baseline arm (docs/experiments.md)."""
    name: Name = Field(description="the experiment's name; outputs go to outputs/<name>/")
    driver: Literal["compare"] = "compare"
    arms: dict[str, Overrides] = Field(description="{arm: [override, ...]}")
    baseline: str = Field(description="the arm every other arm is compared with")
    seeds: int = Field(ge=1, examples=[20], description="seeds per arm: 0..seeds-1, the same in every arm")
    metrics: list[str] = Field([], description="summary keys reported first")
    workers: int | None = Field(None, ge=1, examples=[2], description="runs at once; null: all cores")
    out_dir: Path | None = Field(None, description="output folder; null: outputs/<name>")
    level: Level = 0.95
    fitted: Path | None = Field(None, description="a fitted community (the folder of growthsim experiment=fit): the "
                                                  "arms run on it after its history, and seed i takes set i of its "
                                                  "kept sets; null: the config's community")
    horizon: int = Field(90, ge=1, description="with fitted: days forecast after the history")

    @field_validator("arms")
    @classmethod
    def _names(cls, arms: dict[str, list[str]]) -> dict[str, list[str]]:
        for arm in arms:
            if not SAFE_NAME.match(arm):
                raise ValueError(f"arm name {arm!r} must use only letters, digits and _ . + -")
        return arms

    @field_validator("baseline")
    @classmethod
    def _an_arm(cls, baseline: str, info: ValidationInfo) -> str:
        arms = info.data.get("arms")
        if arms is not None and baseline not in arms:
            raise ValueError(f"is not an arm: choose one of {', '.join(arms)}")
        return baseline

    @property
    def arm_names(self) -> list[str]:
        """Arms with the baseline first, then in config order."""
        return [self.baseline] + [a for a in self.arms if a != self.baseline]


class CaseReproduction(Schema):
    """``cases``: both arms of each case over paired seeds, against the case's targets (docs/cases.md)."""
    name: Name = Field(description="outputs go to outputs/<name>/")
    driver: Literal["cases"] = "cases"
    case: Cases = ["all"]
    seeds: int = Field(20, ge=1, description="paired seeds per arm: 0..seeds-1")
    fast: bool = Field(False, description="each case's fast overrides (smaller populations, fewer days)")
    fitted: str | None = Field(None, description="null: each case's own fitted file; none: the engine's "
                                                 "defaults; NAME: conf/fitted/NAME.yaml")
    workers: Workers = 1
    out_dir: Path | None = Field(None, description="output folder; null: outputs/<name>")
    level: Level = 0.95


class Facts(Schema):
    """``facts``: the stylized facts of real groups, measured on the model (docs/facts.md)."""
    name: Name = Field("facts", description="outputs go to outputs/<name>/ unless out_dir is set")
    driver: Literal["facts"] = "facts"
    seeds: int = Field(3, ge=1, description="seeds per behaviour: 0..seeds-1")
    size: int = Field(10_000, ge=100, description="people of the main runs")
    days: int = Field(180, ge=30, description="days of the main runs and the Facebook-graph runs")
    behaviors: dict[str, Overrides] = Field(description="{name: [override, ...]}: the behaviours measured")
    ensemble: dict[str, Path] = Field({}, description="{behaviour: parquet}: seed i of that behaviour also takes the "
                                                     "values of a set of this ensemble (sets spread evenly over it)")
    graph_path: Path | None = Field(None, description="the SNAP Facebook edge list; null: ../shared/data/"
                                                      "facebook_combined.txt beside the checkout")
    group_sizes: list[int] = Field([500, 2000], min_length=2, max_length=2,
                                   description="the two group sizes of the core-participation fact [members]")
    out_dir: Path | None = Field(None, description="output folder; null: outputs/<name>")


class Joint(Schema):
    """A joint event of several communities (``sim.engine.communities.JointEvent``)."""
    days: list[Annotated[int, Field(ge=1)]] = Field(description="days of the shared challenge")
    rate: float = Field(0.05, ge=0, le=1, description="chance a participant of another community joins, times "
                                                      "their interest")
    cost: float = Field(0.0, ge=0, description="each community's share of the cost, per event day [yuan]")


class SeveralCommunities(Schema):
    """``communities``: several communities on one social graph, with and without a joint event (docs/model.md)."""
    name: Name = Field("communities", description="outputs go to outputs/<name>/ unless out_dir is set")
    driver: Literal["communities"] = "communities"
    communities: dict[str, Overrides] = Field(min_length=2, description="{community: [override, ...]}")
    joint: Joint
    seeds: int = Field(3, ge=1, description="replicates: community i of replicate s runs with seed 100 s + i")
    out_dir: Path | None = Field(None, description="output folder; null: outputs/<name>")
    level: Level = 0.95


def _range(spec: Any) -> tuple[float, float, bool]:
    """``[low, high]`` or ``[low, high, log]`` -> ``(low, high, log)``."""
    try:
        low, high, *flag = spec
        low, high = float(low), float(high)
    except (TypeError, ValueError):
        low = high = None
    log = bool(flag) and str(flag[0]).lower() in ("log", "true", "1") if low is not None else False
    if low is None or len(flag) > 1 or not low < high or (log and low <= 0):
        raise ValueError("must be [low, high] or [low, high, log] with low < high (and low > 0 for log)")
    return low, high, log


class EnsembleFit(Schema):
    """``ensemble``: the posterior ensemble of the free behavioural parameters, its sensitivity analysis and
    the leave-one-case-out check (docs/cases.md, "The ensemble")."""
    name: Name = Field("ensemble", description="outputs go to outputs/<name>/ unless out_dir is set")
    driver: Literal["ensemble"] = "ensemble"
    fitted: str = Field("ensemble", description="the fixed part: conf/fitted/<fitted>.yaml")
    fast: bool = Field(True, description="each case's fast overrides")
    workers: Workers = 1
    table: int = Field(1024, ge=2, description="prior sets in the reference table, one seed each")
    accept: int = Field(200, ge=2, description="sets kept: the closest to the cases")
    replicate: bool = Field(True, description="run every kept set on a second seed (parameter vs seed uncertainty)")
    morris: int = Field(4, ge=0, description="Morris trajectories over params and screened (0: skip)")
    sobol: int = Field(16, ge=0, description="Sobol' base sample N: N x (params + 2) sets (0: skip)")
    level: float = Field(0.9, gt=0, lt=1, description="predictive interval")
    max_miss: float = Field(5.0, gt=0, description="a target's miss counts at most this many tolerances")
    out_dir: Path | None = Field(None, description="null: outputs/<name>")
    publish: bool = Field(False, description="also write conf/fitted/ensemble.parquet and results/cases/loco.csv")
    params: dict[str, Annotated[Any, AfterValidator(_range)]] = Field(
        description="the free parameters (at most 15): key: [low, high] or [low, high, log]")
    screened: dict[str, Annotated[Any, AfterValidator(_range)]] = Field(
        {}, description="parameters screened by Morris and held fixed: key: [low, high] or [low, high, log]")

    @model_validator(mode="after")
    def _sizes(self) -> "EnsembleFit":
        if len(self.params) > 15:
            raise ValueError(f"params: {len(self.params)} free parameters; at most 15")
        if self.accept > self.table:
            raise ValueError(f"accept={self.accept} exceeds table={self.table}: keep at most the table's sets")
        both = sorted(set(self.params) & set(self.screened))
        if both:
            raise ValueError(f"{both[0]} is both free (params) and screened: name it once")
        return self


class CommunityFit(Schema):
    """``fit``: the behaviour fitted to a user's own community history (docs/data.md)."""
    name: Name = Field("fit", description="outputs go to outputs/<name>/ unless out_dir is set")
    driver: Literal["fit"] = "fit"
    data: Path = Field(description="the daily history: a CSV with day (or date), members, active, joins, leaves")
    members: Path | None = Field(None, description="the optional member table (docs/data.md)")
    population: int | None = Field(None, ge=10, description="people who could ever join; null: the graph's "
                                                            "people, or 10 x the most members the history has")
    prior: Literal["uniform", "cases"] = Field("uniform", description="uniform over the case ensemble's ranges, "
                                                                      "or the case ensemble's own sets")
    table: int = Field(256, ge=2, description="prior sets run once each")
    accept: int = Field(32, ge=2, description="sets kept: the closest to the history")
    replicates: int = Field(2, ge=0, description="further seeds per kept set, for the predictive band")
    level: Level = 0.9
    workers: Workers = 1
    out_dir: Path | None = Field(None, description="null: outputs/<name>")

    @model_validator(mode="after")
    def _sizes(self) -> "CommunityFit":
        if self.accept > self.table:
            raise ValueError(f"accept={self.accept} exceeds table={self.table}: keep at most the table's sets")
        return self


class BudgetPlan(Schema):
    """``optimize``: the best plan of levers for a budget, by Optuna (docs/data.md)."""
    name: Name = Field("optimize", description="outputs go to outputs/<name>/ unless out_dir is set")
    driver: Literal["optimize"] = "optimize"
    budget: float = Field(gt=0, description="what the plan may spend from the launch on [yuan]")
    objective: Literal["retained", "weekly_active", "purchases", "referral"] = Field(
        "retained", description="what the plan maximizes at the horizon: members on the last day, weekly active "
                                "members on the last day, purchases or referral joins from the launch on")
    fitted: Path | None = Field(None, description="a fitted community (folder of growthsim experiment=fit); null: "
                                                  "the config's community")
    horizon: int = Field(90, ge=1, description="with fitted: days after the history")
    sampler: Literal["tpe", "nsga2"] = Field("tpe", description="Optuna's TPE (one objective, the budget a "
                                                                "constraint) or NSGA-II (cost and outcome)")
    trials: int = Field(60, ge=1, description="plans tried")
    seeds: int = Field(4, ge=1, description="paired seeds per trial: 0..seeds-1, the same in every trial")
    finalists: int = Field(3, ge=1, description="the best trials within the budget run again on fresh seeds")
    final_seeds: int = Field(20, ge=2, description="fresh seeds (and kept sets) per finalist")
    search_seed: int = Field(0, ge=0, description="seed of the sampler")
    level: Level = 0.9
    workers: Workers = 1
    out_dir: Path | None = Field(None, description="null: outputs/<name>")


class Calibration(Schema):
    """``calibrate``: fit the global behavioural parameters to the case targets (docs/cases.md)."""
    name: Name = Field(description="outputs go to outputs/<name>/ unless out_dir is set")
    driver: Literal["calibrate"] = "calibrate"
    case: Cases = ["all"]
    trials: int = Field(ge=1, examples=[1000], description="at most this many joint trials")
    timeout: float = Field(gt=0, examples=[840], description="at most this many seconds of wall time")
    seeds: int = Field(ge=1, examples=[2], description="seeds per arm and trial: seed_offset..")
    seed_offset: int = Field(1000, ge=0, description="the first seed (not the evaluation seeds 0..19)")
    fast: bool = Field(True, description="each case's fast overrides")
    workers: Workers = 1
    sampler_seed: int = Field(0, ge=0, description="seed of Optuna's TPE sampler")
    zoom: float | None = Field(None, gt=0, le=1, examples=[0.15], description="trust region: +-zoom x each range around the "
                                                              "current best; null: one study over the whole ranges")
    round_trials: int = Field(40, ge=1, description="trials per trust-region round")
    fitted: str = Field("behavior", description="the search starts from conf/fitted/<fitted>.yaml")
    out: Name = Field("calibrated", description="the fit's name: <out_dir>/fitted/<out>.yaml")
    out_dir: Path | None = Field(None, description="null: outputs/<name>")
    trials_dir: Path | None = Field(None, description="every trial's table; null: out_dir")
    note: str | None = Field(None, description="a line for the fitted file's header")
    max_miss: float = Field(5.0, gt=0, description="a target's miss counts at most this many tolerances")
    polish_trials: int = Field(0, ge=0, description="trials per case when polishing the parameters in local")
    params: dict[str, Annotated[Any, AfterValidator(_range)]] = Field(
        description="the free parameters: key: [low, high] or [low, high, log]")
    local: dict[str, str] = Field({}, description="parameters that act in one case's treatment arm only: key: case")

    @field_validator("local")
    @classmethod
    def _free(cls, local: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        params = info.data.get("params")
        stray = [k for k in local if params is not None and k not in params]
        if stray:
            raise ValueError(f"names {', '.join(stray)}, not in experiment.params: free it there or remove it")
        return local


DRIVERS = {"compare": Comparison, "cases": CaseReproduction, "calibrate": Calibration}


# ---------------------------------------------------------------- a case
COUNT_MEASURES = {"daily_interactions"}  # in members/day; every other measure is a share


class Target(Schema):
    """One case number: a measure, its kind and its target(s) (shares as fractions, relative changes in %)."""
    measure: Literal[tuple(MEASURES)] = Field(description="a case measure (sim/measures/cases.py)")
    kind: Literal["share", "relative", "above", "below"]
    params: dict[str, Any] = Field({}, description="the measure's arguments")
    baseline: float | None = Field(None, description="share: target of the baseline arm")
    treatment: float | None = Field(None, description="share: target of the treatment arm")
    target: float | None = Field(None, description="relative: % change, treatment vs baseline")
    bound: float | None = Field(None, description="above/below: bound of the treatment arm")

    @model_validator(mode="after")
    def _numbers(self) -> "Target":
        need = {"share": ("baseline and/or treatment", self.baseline is not None or self.treatment is not None),
                "relative": ("target", self.target is not None)}.get(self.kind, ("bound", self.bound is not None))
        if not need[1]:
            raise ValueError(f"a {self.kind} target needs {need[0]}")
        return self

    @property
    def key(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.measure}[{extra}]" if extra else self.measure

    @property
    def unit(self) -> str:
        return "members/day" if self.measure in COUNT_MEASURES else "%"

    def scale(self) -> float:
        """Factor from the measure's value to the unit shown (shares in %)."""
        return 1.0 if self.measure in COUNT_MEASURES else 100.0

    @property
    def bounds(self) -> tuple[float, float]:
        """The values the measure can take, in the unit shown."""
        return COUNT if self.measure in COUNT_MEASURES else SHARE


ARMS = ("baseline", "treatment")


class Case(Schema):
    """A practitioner case (``conf/case/<name>.yaml``): a community's context, a baseline and a treatment
    arm that differ in one lever, and the targets."""
    name: str = Field(description="the file's stem (c01): given by the loader, not by the file")
    id: str = Field("", description="C01; empty: the name in capitals")
    title: str = ""
    context_text: str = ""
    lever: str = ""
    fitted: str | None = Field(None, description="the global behavioural parameters: conf/fitted/<fitted>.yaml")
    context: Overrides = []
    baseline: Overrides = []
    treatment: Overrides = []
    fast: Overrides = Field([], description="overrides of fast mode: a smaller population")
    layer_days: tuple[int, ...] = Field((), description="days on which the trace keeps the RFM layers")
    targets: list[Target] = Field(min_length=1)
    not_reached: str = Field("", description="why the model misses the case's numbers, when it does")

    @model_validator(mode="after")
    def _tidy(self) -> "Case":
        self.id = self.id or self.name.upper()
        self.not_reached = " ".join(self.not_reached.split())
        return self

    def overrides(self, arm: str, fast: bool = False, extra: list[str] = (), fitted: str | None = None) -> list[str]:
        """The overrides composing an arm: the fitted global parameters, the context, fast mode, the
        arm's lever, then ``extra`` (e.g. command-line overrides or a calibration trial's values)."""
        if arm not in ARMS:
            raise ExperimentError(f"arm {arm!r}: choose baseline or treatment")
        fitted = self.fitted if fitted is None else fitted
        head = [] if fitted in (None, "none") else [f"+fitted={fitted}"]
        return [*head, *self.context, *(self.fast if fast else []), *getattr(self, arm), *extra]

    @property
    def specs(self) -> list[tuple[str, str, dict]]:
        """(key, measure, params) of every target: what a run measures."""
        return [(t.key, t.measure, t.params) for t in self.targets]


def case_from(name: str, node) -> Case:
    """A case config (a node or dict) as a checked ``Case``."""
    data = _plain(node)
    if isinstance(data, dict) and "name" in data:
        raise ExperimentError(f"case {name}: unknown key 'name' (a case's name is its file's name)")
    return parse(Case, {**(data if isinstance(data, dict) else {}), "name": name}, "", f"case {name}: ",
                 "docs/cases.md")


# ---------------------------------------------------------------- checking
M = TypeVar("M", bound=BaseModel)


def _plain(node):
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, (DictConfig, ListConfig)) else node


def parse(model: type[M], node, prefix: str = "experiment.", where: str = "",
          docs: str = "docs/experiments.md") -> M:
    """``node`` (a config node or plain data) as an instance of ``model``; an ``ExperimentError`` names the
    first offending key (``prefix`` + its path), its value and what it allows."""
    if node is None:
        raise ExperimentError(f"no {prefix.rstrip('.') or 'config'}: choose one with experiment=NAME (conf/experiment/)")
    try:
        return model.model_validate(_plain(node))
    except ValidationError as err:
        first = min(err.errors(), key=lambda e: e["type"] != "extra_forbidden")  # a misspelt key before its absence
        raise ExperimentError(where + _message(first, model, prefix, docs)) from None


def _inner(annotation):
    """The model or element type inside an annotation (``X | None``, ``list[X]``, ``dict[str, X]``)."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is Annotated:
        return _inner(args[0])
    return args[-1] if args else annotation


def _walk(model: type, loc: tuple):
    """The model that holds the last part of ``loc``, and that part's field (None for a list index or key)."""
    owner, info = model, None
    for i, part in enumerate(loc):
        fields = getattr(owner, "model_fields", None) if isinstance(owner, type) else None
        if fields is not None and isinstance(part, str) and part in fields:
            info = fields[part]
            if i < len(loc) - 1:
                owner, info = _inner(info.annotation), None
        elif i < len(loc) - 1:
            owner, info = _inner(owner), None
    return owner, info


def _allowed(info) -> str:
    """A field's range in words, from its constraints."""
    bound = {type(m).__name__: getattr(m, type(m).__name__.lower()) for m in (info.metadata if info else [])
             if isinstance(m, (at.Ge, at.Gt, at.Le, at.Lt))}
    if "Ge" in bound and "Le" in bound:
        return f"{bound['Ge']:g} to {bound['Le']:g}"
    if list(bound) == ["Ge"]:
        return f"{bound['Ge']:g} or more"
    words = {"Ge": "at least", "Gt": "more than", "Le": "at most", "Lt": "less than"}
    return " and ".join(f"{words[k]} {v:g}" for k, v in bound.items())


def _message(err: dict, model: type, prefix: str, docs: str) -> str:
    """One pydantic error as one line: the key, the value, the allowed range or choices, a fix."""
    loc = err["loc"]
    key = prefix + ".".join(str(p) for p in loc) if loc else prefix.rstrip(".") or "the config"
    value, kind = err.get("input"), err["type"]
    owner, info = _walk(model, loc)
    about = f" ({info.description})" if info is not None and info.description else ""
    if kind == "extra_forbidden":
        known = [f for f in getattr(owner, "model_fields", {}) if f != "name" or owner is not Case]
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        where = key.rpartition(".")[0]
        hint = f"did you mean '{where + '.' if where else ''}{close[0]}'?" if close else \
            f"the keys are {', '.join(known)}"
        return f"unknown key '{key}': {hint} ({docs})"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        example = info.default if info.default not in (PydanticUndefined, None) else (info.examples or ["VALUE"])[0]
        return f"{key}={value} is out of range: allowed {_allowed(info)}{about}. Fix it, e.g. {key}={example}"
    if kind == "literal_error":
        choices = get_args(info.annotation) if info is not None else (err["ctx"]["expected"],)
        return f"{key}={value} is not an option: choose one of {', '.join(map(str, choices))}"
    if kind == "missing":
        return f"{key} is missing: set it{about} ({docs})"
    if kind == "value_error":
        said = str(err["ctx"]["error"])
        return f"{key}: {said}" if isinstance(value, (dict, list)) else f"{key}={value} {said}"
    return f"{key}={value}: {err['msg'][0].lower()}{err['msg'][1:]}"
