"""The application around the engine: the CLI, runs and their output folders, sweeps, launchers, plots."""
