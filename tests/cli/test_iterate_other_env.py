"""``qed iterate`` on an env other than the sandbox: every proof found joins the next SFT data.

The env here speaks a dialect the sandbox rejects (statements open with ``qedtheorem``), so a
loop that rebuilt SFT pairs by replaying found proofs in the sandbox would lose every one of
them. The pairs must come from the ``SearchResult``s themselves.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from contextlib import contextmanager

import pytest
from rich.console import Console

from qed.cli import stages
from qed.cli.iterate_cmd import iterate_main
from qed.cli.tracing import theorem_from_row, trace_pairs
from qed.core import Outcome, ProofState, StatementError, Theorem
from qed.dist.local import shared
from qed.env.sandbox.env import SandboxEnv

DIALECT = "qedtheorem"


class DialectEnv:
    """The sandbox's prover behind another statement syntax: ``qedtheorem`` for ``theorem``."""

    def __init__(self) -> None:
        self.inner = SandboxEnv()

    def start(self, theorem: Theorem) -> ProofState:
        if not theorem.statement.startswith(DIALECT + " "):
            raise StatementError(f"this env only accepts statements opening with '{DIALECT}'")
        plain = "theorem " + theorem.statement[len(DIALECT) + 1:]
        return self.inner.start(Theorem(theorem.name, plain, header=theorem.header))

    def apply(self, state: ProofState, goal_index: int, tactic: str) -> Outcome:
        return self.inner.apply(state, goal_index, tactic)

    def release(self, states: Sequence[ProofState]) -> None:
        self.inner.release(states)


@contextmanager
def dialect_envs(cfg):
    yield shared(DialectEnv()), max(1, cfg.search.concurrency), 1


def _dialect_theorems(path, n):
    stages.generate(path, n=n, seed=7, families=["case_split", "linear_system"], difficulty=2)
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    for r in rows:
        r["formal_statement"] = DIALECT + r["formal_statement"].removeprefix("theorem")
        r["split"] = "train"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_iterate_on_another_env_puts_every_found_proof_in_the_next_sft_data(tmp_path):
    train = tmp_path / "train.jsonl"
    rows = _dialect_theorems(train, 60)
    # the sandbox rejects every one of these statements: replaying their proofs there yields nothing
    assert all(t.error for t in trace_pairs(SandboxEnv(), [theorem_from_row(r) for r in rows]))
    held = tmp_path / "held.jsonl"
    _dialect_theorems(held, 10)
    overrides = [
        "experiment=sandbox_tiny", f"search.runs_dir={tmp_path / 'runs'}", "policy=scripted",
        'search.scripted.tactics=["rcases h₀ with h | h",norm_num,linarith,nlinarith,simp,omega]',
        f"iterate.train_benchmark={train}", f"iterate.eval_benchmark={held}", "iterate.bootstrap_search=",
        "iterate.bootstrap_n=120", "sft.epochs=1", "sft.max_steps=6", "sft.eval_states=0",
        "ebm.train.max_steps=20", "search.max_expansions=12", "iterate.max_states=200",
    ]
    devnull, errors = Console(file=open(os.devnull, "w")), Console(file=io.StringIO(), width=200)
    code = iterate_main(overrides, devnull, errors, stop_after="iter_1/pairs", open_envs=dialect_envs)
    assert code == 3, errors.file.getvalue()  # stopped (cleanly) after building iteration 1's SFT data
    root = tmp_path / "runs" / "sandbox_tiny"
    results = [json.loads(x) for x in (root / "iter_0" / "search" / "results.jsonl").read_text().splitlines()]
    proved = {r["name"]: r["proof"] for r in results if r["status"] == "proved"}
    assert len(proved) >= 5 and not [r for r in results if r["status"] == "unsupported"]
    pairs = [json.loads(x) for x in (root / "iter_1" / "pairs.jsonl").read_text().splitlines()]
    found = {}
    for p in pairs:
        if p["theorem"] in proved:
            found.setdefault(p["theorem"], []).append(p["tactic"])
    assert found == proved  # every proof found, every step, in order
    by_name = {r["name"]: r for r in rows}
    ours = [p for p in pairs if p["theorem"] in proved]
    assert all(p["statement"] == by_name[p["theorem"]]["formal_statement"] for p in ours)
