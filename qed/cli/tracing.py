"""Tracing known proofs into SFT pairs: the one place a proof is replayed to recover its states.

Used for proofs that come as text (generated sandbox theorems, a theorem file with proofs);
proofs found by search never need it: their pairs are read off the ``SearchResult``
(``qed.data.proofs.sft_pairs``). Knows nothing about commands or files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from qed.core import Env, Theorem
from qed.env.check import check_proof
from qed.train.sft_data import SftPair


@dataclass(frozen=True)
class Traced:
    """The pairs of one theorem; ``error`` says why there are none when its proof failed."""

    theorem: str
    pairs: tuple[SftPair, ...]
    error: str | None = None


def theorem_from_row(row: dict) -> Theorem:
    return Theorem(row["name"], row["formal_statement"], header=row.get("header", ""), proof=row.get("proof"))


def trace_pairs(env: Env, theorems: Iterable[Theorem]) -> Iterator[Traced]:
    """One ``Traced`` per theorem with a proof, in order; theorems without a proof are skipped."""
    for thm in theorems:
        if not thm.proof:
            continue
        try:
            result = check_proof(env, thm, thm.proof)
        except ValueError as exc:
            yield Traced(thm.name, (), f"{type(exc).__name__}: {exc}")
            continue
        if not result.ok:
            msg = result.failure.message if result.failure else "unsolved goals"
            yield Traced(thm.name, (), msg)
            continue
        pairs = tuple(SftPair(thm.name, step.state, step.tactic, thm.header, thm.statement)
                      for step in result.trace)
        yield Traced(thm.name, pairs)


def generated_theorems(n: int, seed: int, difficulty: int) -> Iterator[Theorem]:
    """``n`` generated sandbox theorems (with their proofs) of ``difficulty``, seeded."""
    from qed.env.sandbox.generate import generate

    for item in generate(n, seed=seed, difficulty=difficulty):
        if item.row is not None:
            yield theorem_from_row(item.row)


def default_corpus(n_generated: int = 1500, seed: int = 0) -> Iterator[str]:
    """Tokenizer training text: prompts + completions of traced sandbox proofs, miniF2F statements."""
    from qed.data.benchmarks import load_benchmark
    from qed.env.sandbox.env import SandboxEnv
    from qed.policy.prompt import format_completion, format_prompt

    for traced in trace_pairs(SandboxEnv(), generated_theorems(n_generated, seed, 2)):
        for p in traced.pairs:
            yield format_prompt(p.prompt_theorem(), p.state) + format_completion(p.tactic)
    for thm in load_benchmark("minif2f_v1"):
        yield format_prompt(thm, thm.goal or "")
