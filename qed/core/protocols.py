"""Structural interfaces between the parts. Implementations never inherit from these.

Every call is batched where a model is involved; energies are lower-is-better.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, TypeVar, runtime_checkable

from qed.core.types import Candidate, Outcome, ProofState, Query, Theorem, ValueQuery

R_co = TypeVar("R_co", covariant=True)


@runtime_checkable
class Env(Protocol):
    """A proof environment.

    - ``start`` raises ``StatementError`` for a statement it cannot accept and
      ``EnvCrashed`` for infrastructure failure.
    - ``apply`` runs ``tactic`` on goal ``goal_index`` of ``state``. The new state's goals
      are the goals the tactic produced followed by the state's other goals, in order.
      A failing tactic returns ``TacticError``; one over its time limit ``TacticTimeout``.
      ``state`` itself is unchanged. Same input, same output.
    - ``release`` tells the backend that search no longer needs these states.
    """

    def start(self, theorem: Theorem) -> ProofState: ...

    def apply(self, state: ProofState, goal_index: int, tactic: str) -> Outcome: ...

    def release(self, states: Sequence[ProofState]) -> None: ...


@runtime_checkable
class Policy(Protocol):
    """Proposes up to ``n`` distinct candidate tactics per query, best first."""

    def propose(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]: ...


@runtime_checkable
class Encoder(Protocol):
    """Maps texts to fixed-size float vectors (one row per text, same order)."""

    def encode(self, texts: Sequence[str]) -> Sequence[Sequence[float]]: ...


@runtime_checkable
class ValueFn(Protocol):
    """Scores states: one energy per query, lower = more provable."""

    def score(self, queries: Sequence[ValueQuery]) -> list[float]: ...


@runtime_checkable
class Prover(Protocol[R_co]):
    """Searches theorems, yielding one result per theorem as each finishes (any order).

    The executor seam: ``qed.dist.local.LocalProver`` (searches interleaved in one process,
    model calls batched) and ``qed.dist.ray.RayProver`` (prover actors on a Ray cluster)
    implement it with ``R_co = qed.search.result.SearchResult``; ``qed.eval.prove.run_prove``
    consumes it. Closing the iterator stops the remaining searches.
    """

    def prove(self, theorems: Iterable[Theorem]) -> Iterator[R_co]: ...
