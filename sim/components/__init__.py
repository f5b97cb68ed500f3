"""Components: the mechanisms beyond the base formulas and the operator's levers, all of one shape."""
