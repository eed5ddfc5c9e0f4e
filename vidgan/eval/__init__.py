"""Measuring translations: the judges, `vidgan eval`'s figures, temporal and upsampling metrics."""
