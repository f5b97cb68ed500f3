"""The one shape of every mechanism and lever: a ``Component``.

A component declares its parameters beside it (a ``Params`` dataclass of ``param`` fields), makes
its own columns when built, and takes part in the day through a small lifecycle and through terms:

- ``__init__(params, model)``  set-up: its columns, its scheduled events;
- ``start_day(model)``        before the phases: write today's effects (``model.today``);
- terms                       called by the phases, each passing a value through (see ``TERMS``);
- ``end_day(model)``          after the phases: rewards, costs, bookkeeping;
- ``finish(model)``           once, when the run is over;
- ``launch(model)``           on its launch day, when it launches on a running community (``cfg.launch``).

The config lists the components in use: one option each of the lever groups (``groups``,
``incentive``, ``cadence``, ``operations``) and any number of ``mechanisms``; a mechanism not
listed is off. Every node names its class by ``_target_``, so a user's own component (a subclass
of ``Component`` in their own module, with a yaml in their own config folder) is used the same way.
The daily order of calls is documented once, in ``sim.engine.model``.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sim.config import ConfigError

# The terms a component may define, by the phase that calls them (``sim.engine.model``), in call order.
TERMS = {
    "exposure": ("load",),                              # load(model, m, load) -> each member's fatigue load
    "participation": ("crowd", "propensity", "participation", "took_part"),
    "drift": ("push",),                                 # push(model, m, push) -> the levers' interest push
    "leaving": ("retention", "leaving"),               # retention(model, m, p) -> the chance to leave;
                                                        # leaving(model, m, gone): decisions beside leaving
    "referral": ("invitations",),                       # invitations(model, inviters, friends) -> more pairs
    "organic": ("organic",),                            # organic(model) -> today's organic joiners
    "purchase": ("purchase", "promotion"),
    "levers": ("readers", "reach", "silence"),          # called by levers and by other components
}


class ComponentError(ConfigError):
    """A ``_target_`` that names no component class (the message names the node and the fix)."""


class Component:
    """A mechanism or lever; subclasses set ``group`` and ``name`` to be built in (registered)."""

    group: ClassVar[str] = ""     # the config group it is an option of: mechanisms, groups, incentive, ...
    name: ClassVar[str] = ""      # its option name (conf/<group>/<name>.yaml)
    order: ClassVar[int] = 100    # terms of several components apply in ascending order (built-ins below 100)
    draws: ClassVar[tuple] = ()   # per-member daily decisions it draws before anyone joins or leaves
    since, until = 1, math.inf    # the days it acts on: a launched lever from the launch, the practice it replaces until then

    @dataclass
    class Params:
        """No parameters."""

    def __init__(self, params, model):
        self.p = params

    def start_day(self, model) -> None:
        """Before the phases: write today's effects."""

    def end_day(self, model) -> None:
        """After the phases: account for what happened today."""

    def launch(self, model) -> None:
        """On its launch day, before ``start_day``, when it launches on a running community (``cfg.launch``):
        what happened before it is not its own (e.g. referrals made before a reward scheme existed)."""

    def finish(self, model) -> None:
        """Once, after the last day."""

    def acts(self, day: int) -> bool:
        """Whether it acts on ``day`` (its scheduled events ask: the model calls only the components acting)."""
        return self.since <= day <= self.until

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.group and cls.name and cls.__dict__.get("name"):
            BUILT_IN.setdefault(cls.group, {})[cls.name] = cls


BUILT_IN: dict[str, dict[str, type[Component]]] = {}  # group -> name -> class, filled as the modules load


def target(cls: type) -> str:
    """The ``_target_`` that names ``cls``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def resolve(path: object, where: str) -> type[Component]:
    """The component class ``path`` (a ``_target_``) names; ``where``: its config key, for the message."""
    if not isinstance(path, str) or "." not in path:
        raise ComponentError(f"{where}._target_={path}: name a component class as module.Class "
                             "(e.g. mypackage.levers.Lottery)")
    module, _, name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise ComponentError(f"{where}._target_={path}: no such class ({err}); check the module is importable "
                             "(on PYTHONPATH or installed) and the class name") from None
    if not (isinstance(cls, type) and issubclass(cls, Component)):
        raise ComponentError(f"{where}._target_={path} is not a component: it must subclass "
                             "sim.components.base.Component (docs/model.md, 'Your own component')")
    return cls


def recovered(day: int, last, cycle: float):
    """How far a chance held back after the last time (day ``last``, -1 never) has recovered by ``day``:
    min(1, days since / ``cycle``), 1 for never (satiation after taking part, the purchase cycle)."""
    return np.where(last < 0, 1.0, np.minimum(1.0, (day - last) / cycle))


def defines(component: Component, term: str) -> bool:
    """Whether ``component`` defines the term ``term`` (the base class defines none)."""
    return callable(getattr(type(component), term, None))
