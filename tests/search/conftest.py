"""Small real inputs for search tests: an env over a fixed goal graph, a table value function,
a call-recording policy wrapper and an env wrapper that crashes on a chosen step.

They are inputs of the search, not the thing under test: ``GraphEnv`` is a complete ``Env``
(goal-level transitions, same input same output), ``TableValue`` a complete ``ValueFn``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from qed.core import (
    Candidate,
    EnvCrashed,
    Goal,
    Goals,
    ProofState,
    Proved,
    Query,
    StatementError,
    TacticError,
    Theorem,
    ValueQuery,
)


class GraphEnv:
    """Goals are bare targets; ``edges[(target, tactic)]`` is the tuple of targets the tactic
    leaves for that goal (``()`` closes it). Anything else is a ``TacticError``. The theorem's
    statement is the root target (several, comma-separated, for a multi-goal start); a
    statement starting with ``bad`` is rejected."""

    def __init__(self, edges: dict[tuple[str, str], tuple[str, ...]]):
        self.edges = dict(edges)
        self.applied: list[tuple[str, str]] = []
        self.released = 0

    @staticmethod
    def state(targets: Sequence[str]) -> ProofState:
        return ProofState(tuple(Goal((), t) for t in targets), handle=tuple(targets))

    def start(self, theorem: Theorem) -> ProofState:
        if theorem.statement.startswith("bad"):
            raise StatementError("this graph has no such statement")
        return self.state(theorem.statement.split(","))

    def apply(self, state: ProofState, goal_index: int, tactic: str):
        targets = list(state.handle)
        goal = targets[goal_index]
        self.applied.append((goal, tactic))
        produced = self.edges.get((goal, tactic))
        if produced is None:
            return TacticError(f"{tactic} failed on {goal}")
        new = list(produced) + targets[:goal_index] + targets[goal_index + 1 :]
        return Proved(self.state(())) if not new else Goals(self.state(new))

    def release(self, states: Sequence[ProofState]) -> None:
        self.released += len(states)


class TableValue:
    """Energies from a table of state texts (``default`` for the rest); records each call's size."""

    def __init__(self, energies: dict[str, float], default: float = 0.0):
        self.energies, self.default = energies, default
        self.calls: list[int] = []

    def score(self, queries: Sequence[ValueQuery]) -> list[float]:
        self.calls.append(len(queries))
        return [self.energies.get(q.state, self.default) for q in queries]


class Recording:
    """A policy that records the state texts it was asked about and delegates to ``inner``."""

    def __init__(self, inner):
        self.inner = inner
        self.asked: list[str] = []
        self.calls: list[int] = []

    def propose(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]:
        self.calls.append(len(queries))
        self.asked += [q.state for q in queries]
        return self.inner.propose(queries, n)


class CrashOn:
    """Wraps an env; the ``step``-th ``apply`` (1-based) raises ``EnvCrashed``."""

    def __init__(self, inner, step: int):
        self.inner, self.step, self.calls = inner, step, 0

    def start(self, theorem: Theorem) -> ProofState:
        return self.inner.start(theorem)

    def apply(self, state: ProofState, goal_index: int, tactic: str):
        self.calls += 1
        if self.calls == self.step:
            raise EnvCrashed("REPL process died (test)")
        return self.inner.apply(state, goal_index, tactic)

    def release(self, states: Sequence[ProofState]) -> None:
        self.inner.release(states)


@pytest.fixture
def kit():
    """The helper classes, as one namespace."""

    class Kit:
        pass

    k = Kit()
    k.GraphEnv, k.TableValue, k.Recording, k.CrashOn = GraphEnv, TableValue, Recording, CrashOn
    k.theorem = lambda statement, name="t": Theorem(name, statement)
    return k


@pytest.fixture(scope="session")
def minif2f_theorems() -> dict[str, Theorem]:
    from qed.data.benchmarks import load_benchmark

    return {t.name: t for t in load_benchmark("minif2f_v1")}
