"""Components: the mechanisms beyond the base formulas and the operator's levers, all of one shape
(``sim.components.base.Component``). Importing the package registers the built-in ones."""

from sim.components import (cadence, content, groups, incentive, joining, muting, operations,  # noqa: F401
                            participation, purchase, retention, staff)
