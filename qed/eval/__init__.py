"""Evaluation: proving over a benchmark, metrics, reports, plots."""
