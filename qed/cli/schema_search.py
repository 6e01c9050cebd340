"""Structured config of proof search and ``qed prove`` (``search.*`` keys).

``SearchConfig`` is built from the library's own classes, so every default lives there once:
``qed.search.result.Budget`` (max_expansions, max_seconds, candidates, temperature,
max_depth), ``qed.search.best_first.SearchSettings`` (alpha, length_normalise,
batch_expansions) and ``qed.search.mcts.MctsSettings`` (c_puct, prior_temperature,
value_scale). The CLI-only keys say how ``qed prove`` runs: which value function (``value``:
none | ebm | langevin), ``ebm_dir``, concurrency, where runs go, the scripted policy and the
algorithm (best_first | mcts). ``search.temperature`` is the sampling temperature the policy
is built with for search; ``search.candidates`` the number of tactics asked per expansion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qed.cli.schema_from import section
from qed.search.best_first import SearchSettings
from qed.search.mcts import MctsSettings
from qed.search.result import Budget


@dataclass
class ScriptedConfig:
    """``policy.kind=scripted`` (``qed.policy.scripted``): fixed order or random sampling."""

    mode: str = "fixed"  # fixed | random
    tactics: list[str] = field(default_factory=list)  # empty: qed.policy.scripted.SANDBOX_TACTICS
    seed: int = 0


SearchConfig = section(
    "SearchConfig", Budget, SearchSettings, MctsSettings,
    extra=(
        ("value", str, "none"),  # none | ebm | langevin
        ("ebm_dir", str, ""),  # a saved energy head; empty: <ebm.run>/iter_<ebm.iteration>/ebm
        ("concurrency", int, 4),  # searches interleaved (Lean: at most env.pool_size)
        ("runs_dir", str, "runs"),
        ("scripted", ScriptedConfig, ScriptedConfig),
        ("algorithm", str, "best_first"),  # best_first | mcts
    ),
    doc=__doc__,
)
