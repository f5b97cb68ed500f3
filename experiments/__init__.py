"""Experiments and benchmarks around the simulator (not part of the `sim` package API)."""
