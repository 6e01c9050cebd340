"""Datasets and records: benchmark loaders, trajectories, training pairs, Parquet io.

Depends on ``qed.core`` (and ``qed.search.result``); never on torch, ray or hydra.
"""
