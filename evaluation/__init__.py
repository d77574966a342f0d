"""Measuring quality and speed: evaluation sets, calibration of the found/not-found decision, benchmarks."""
