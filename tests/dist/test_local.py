"""LocalProver: interleaved searches give the same results as one-by-one search, with fewer,
larger policy and value calls; leases come from a real LeanPool; a crash stays one theorem's."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from qed.core import EnvCrashed, ProofState, Theorem
from qed.data.benchmarks import load_benchmark
from qed.dist.local import LocalProver, pooled, shared
from qed.env.pool import LeanPool
from qed.env.sandbox.coverage import coverage
from qed.env.sandbox.env import SandboxEnv
from qed.policy.scripted import FixedPolicy
from qed.search.best_first import SearchSettings, best_first
from qed.search.result import Budget

BUDGET = Budget(max_expansions=6, candidates=8)
SETTINGS = SearchSettings(alpha=0.5)


@pytest.fixture(scope="module")
def theorems() -> list[Theorem]:
    ths = load_benchmark("minif2f_v1")
    accepted = set(coverage(ths).accepted)
    return [t for t in ths if t.name in accepted][:12] + [Theorem("c", "theorem c (p : Polynomial ℝ) : p = p := by")]


class Recording:
    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def propose(self, queries, n):
        self.calls.append(len(queries))
        return self.inner.propose(queries, n)


class LengthValue:
    def __init__(self):
        self.calls: list[int] = []

    def score(self, queries):
        self.calls.append(len(queries))
        return [float(len(q.state) % 5) for q in queries]


def signature(r):
    return (
        r.status,
        r.proof_tactics(),
        [(n.state, n.tactic, n.expansion_order) for n in r.nodes],
        [None if math.isnan(n.energy) else n.energy for n in r.nodes],
    )


def test_interleaved_searches_match_sequential_ones_with_batched_calls(theorems):
    policy = Recording(FixedPolicy())
    value = LengthValue()
    sequential = {
        t.name: best_first(
            t, env=SandboxEnv(), policy=FixedPolicy(), value=LengthValue(), budget=BUDGET, settings=SETTINGS
        )
        for t in theorems
    }
    prover = LocalProver(
        envs=shared(SandboxEnv()), policy=policy, value=value, budget=BUDGET, settings=SETTINGS, concurrency=5
    )
    results = list(prover.prove(theorems))
    assert sorted(r.theorem.name for r in results) == sorted(sequential)
    for r in results:
        assert signature(r) == signature(sequential[r.theorem.name]), r.theorem.name
    per_search_calls = sum(r.stats.policy_calls for r in results)
    assert sum(policy.calls) == sum(r.stats.policy_queries for r in results)
    assert len(policy.calls) < per_search_calls and max(policy.calls) > 1
    assert len(value.calls) < sum(r.stats.value_calls for r in results) and max(value.calls) > 1
    assert prover.batch_stats.policy_calls == len(policy.calls)
    assert sum(r.stats.policy_seconds for r in results) == pytest.approx(prover.batch_stats.policy_seconds)
    assert next(r for r in results if r.theorem.name == "c").status == "unsupported"


class PooledSandbox:
    """A sandbox with the shape a LeanPool expects; the ``crash_at``-th apply of the FIRST env made
    raises ``EnvCrashed`` (as a dead REPL would), after which this env refuses every call."""

    made = 0

    def __init__(self, crash_at: int):
        PooledSandbox.made += 1
        self.inner = SandboxEnv()
        self.crash_at = crash_at if PooledSandbox.made == 1 else 0
        self.calls = 0
        self.dead = False
        self.closed = False

    process = None

    def start(self, theorem):
        if self.dead:
            raise EnvCrashed("dead")
        return self.inner.start(theorem)

    def apply(self, state: ProofState, goal_index: int, tactic: str):
        self.calls += 1
        if self.dead or self.calls == self.crash_at:
            self.dead = True
            raise EnvCrashed("REPL process died (test)")
        return self.inner.apply(state, goal_index, tactic)

    def release(self, states: Sequence[ProofState]) -> None:
        if self.dead:
            raise EnvCrashed("dead")

    def close(self) -> None:
        self.closed = True


def test_pool_leases_and_a_crash_is_one_theorems_infrastructure_error(theorems):
    PooledSandbox.made = 0
    with LeanPool(lambda: PooledSandbox(crash_at=3), 2, handle_signals=False) as pool:
        prover = LocalProver(
            envs=pooled(pool),
            policy=FixedPolicy(),
            value=None,
            budget=BUDGET,
            settings=SETTINGS,
            concurrency=2,
            threads=2,
        )
        results = list(prover.prove(theorems))
        stats = pool.stats()
    assert len(results) == len(theorems)
    errors = [r for r in results if r.status == "error"]
    assert len(errors) == 1 and "died" in errors[0].message and not errors[0].proved
    assert stats.crashed == 1 and stats.leases == len(theorems) and stats.envs_created == 3
    clean = {
        t.name: best_first(
            t, env=SandboxEnv(), policy=FixedPolicy(), value=None, budget=BUDGET, settings=SETTINGS
        )
        for t in theorems
    }
    for r in results:
        if r.status != "error":
            assert signature(r) == signature(clean[r.theorem.name])


def test_closing_early_releases_leases(theorems):
    with LeanPool(lambda: PooledSandbox(crash_at=0), 2, handle_signals=False) as pool:
        prover = LocalProver(
            envs=pooled(pool), policy=FixedPolicy(), value=None, budget=BUDGET, concurrency=2
        )
        gen = prover.prove(theorems)
        next(gen)
        gen.close()
        with pool.lease(timeout=1), pool.lease(timeout=1):
            pass


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="concurrency"):
        LocalProver(envs=shared(SandboxEnv()), policy=FixedPolicy(), value=None, budget=BUDGET, concurrency=0)
