"""Measures: the daily time series, the run summary and the case measures (docs/metrics.md)."""
