"""The benchmarks, each a command that prints a table with its baselines measured in the same run:
`translate.py` (vidgan bench), `train.py` (vidgan bench-train), `smooth.py` (vidgan bench-smooth)."""
