"""Structured config of proof search and ``qed prove`` (``search.*`` keys; defaults live here only).

``SearchConfig`` mirrors ``qed.search.result.Budget`` (max_expansions, max_seconds,
candidates, temperature, max_depth) and ``qed.search.best_first.SearchSettings`` (alpha,
length_normalise, batch_expansions), plus how ``qed prove`` runs: which value function
(``value``: none | ebm), concurrency, and where runs go. ``search.temperature`` is the
sampling temperature the policy is built with for search (it overrides ``policy.temperature``
there); ``search.candidates`` is the number of tactics asked per expansion.
``ScriptedConfig`` configures ``policy.kind=scripted`` (``qed.policy.scripted``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ScriptedConfig:
    mode: str = "fixed"  # fixed | random
    tactics: list[str] = field(default_factory=list)  # empty: qed.policy.scripted.SANDBOX_TACTICS
    seed: int = 0


@dataclass
class SearchConfig:
    alpha: float = 0.5  # priority = alpha * (-energy) + (1 - alpha) * cumulative log-prob
    length_normalise: bool = False
    batch_expansions: int = 1
    max_expansions: int = 800
    max_seconds: float = 300.0
    candidates: int = 16
    temperature: float = 1.3
    max_depth: int = 0  # 0 = unlimited
    value: str = "none"  # none | ebm
    ebm_dir: str = ""  # a saved energy head; empty: <ebm.run>/iter_<ebm.iteration>/ebm
    concurrency: int = 4  # searches interleaved (Lean: at most env.pool_size)
    runs_dir: str = "runs"
    scripted: ScriptedConfig = field(default_factory=ScriptedConfig)
    algorithm: str = "best_first"  # best_first | mcts (qed.search.mcts; `search=mcts` on qed prove)
    c_puct: float = 1.5  # mcts: PUCT exploration constant
