"""Proof search as pure functions of injected env, policy and value.

Depends on qed.core only; no torch, ray or hydra.
"""
