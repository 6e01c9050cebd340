"""What a search generator asks its driver for, and what every search algorithm looks like.

A search is a generator (mctx-style): it *yields* ``Propose`` (tactics for some states) and
``Score`` (energies for some states) requests, is sent a ``Reply`` for each, and returns its
``SearchResult``. Drivers (``qed.search.scaffold.run_steps``, ``qed.dist.local.LocalProver``)
answer requests, possibly batching many searches' requests into one model call. A
``SearchAlgorithm`` is a settings object whose ``steps`` starts such a generator, so the
choice of algorithm is the choice of settings object (made in ``qed.cli.build``).
Knows nothing about how requests are answered.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Protocol

from qed.core import Env, Query, Theorem, ValueQuery
from qed.search.result import Budget, SearchResult


@dataclass(frozen=True)
class Propose:
    """A request for ``n`` candidates for each query (answer: ``list[list[Candidate]]``)."""

    queries: tuple[Query, ...]
    n: int


@dataclass(frozen=True)
class Score:
    """A request for one energy per query (answer: ``list[float]``)."""

    queries: tuple[ValueQuery, ...]


@dataclass(frozen=True)
class Reply:
    """The answer to a request and the seconds this search is charged for it."""

    value: Sequence
    seconds: float = 0.0


Request = Propose | Score
Steps = Generator[Request, Reply, SearchResult]


class SearchAlgorithm(Protocol):
    """Settings of a search algorithm that can start a search of ``theorem`` on ``env``."""

    def steps(self, theorem: Theorem, *, env: Env, budget: Budget, scored: bool = True) -> Steps: ...
