"""Developer tools run from the repository root (``python -m tools.kernel_diff``); not installed."""
