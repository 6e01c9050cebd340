"""Structured config of expert iteration (``iterate.*`` keys; defaults live here only).

``qed iterate experiment=NAME`` loads ``qed/configs/experiment/NAME.yaml``, which sets these keys
and any other group's keys (``search.*``, ``sft.*``, ``joint.*``, ``ebm.*``) for every stage of
the run. ``IterateConfig`` says what data each iteration starts from, which model, how many
iterations, and which held-out theorems the three configurations are evaluated on; the stage
commands themselves (``qed prove``, ``qed train sft|ebm|joint``, ``qed eval``) read their own
sections. Nothing here knows how a stage runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IterateConfig:
    name: str = ""  # run directory <search.runs_dir>/<name>; empty: the experiment's name
    iterations: int = 2  # iter_0 (SFT + decoupled EBM) and iter_1..iter_{n-1} (joint training)
    # base model: a directory, or empty to create one locally (`qed model init --size model_size`)
    base_model: str = ""
    model_size: str = "tiny"
    # bootstrap SFT data of iteration 0: SFT pairs from a file (e.g. a Lean tactic dataset) and/or
    # generated sandbox theorems with verified proofs (bootstrap_n > 0)
    bootstrap_pairs: str = ""
    bootstrap_n: int = 1500
    bootstrap_seed: int = 0
    # real corpora (`qed data prepare` + `qed data trace`): KEY, KEY=PATH or KEY=bundled; the traced pairs of
    # their train split join the bootstrap data (docs/data.md)
    bootstrap_corpora: list[str] = field(default_factory=list)
    # also trace proofs a scripted search finds on this benchmark split (sandbox only; "" = off)
    bootstrap_search: str = ""
    bootstrap_search_split: str = "valid"
    bootstrap_search_expansions: int = 64
    # training theorems searched at every iteration (their trees feed the EBM and joint training):
    # a benchmark/file, or generated (train_benchmark empty)
    # or "corpora": the corpora's train-split statements the sandbox accepts (+ train_n generated ones)
    train_benchmark: str = ""
    train_split: str = ""
    train_n: int = 150
    train_seed: int = 1
    train_families: list[str] = field(default_factory=list)
    train_difficulty: int = 0  # 0: the generator's default mix
    train_limit: int = 0  # only the first N training theorems of a benchmark/file (0: all)
    # held-out theorems of the evaluation: a benchmark/file (+ split), or generated
    eval_benchmark: str = ""
    eval_split: str = ""
    eval_n: int = 100
    eval_seed: int = 2
    eval_difficulty: int = 3
    eval_limit: int = 0  # only the first N held-out theorems (0: all)
    # embedding metrics: t-SNE plot (slowest part) and sample size
    tsne: bool = False
    max_states: int = 2000
    # after the iterations: the value comparison on the deep benchmark (qed science compare,
    # docs/science.md) into <run>/deep_compare; 0 theorems: off; empty lists: CompareSettings' defaults
    compare_n: int = 0
    compare_train_n: int = 300
    compare_seeds: list[int] = field(default_factory=list)
    compare_budgets: list[int] = field(default_factory=list)
    compare_arms: list[str] = field(default_factory=list)
