"""Best-first proof search as a step-wise generator of model requests, and its simple driver.

Owns the best-first loop: pop the best nodes, ask for tactics, apply them, merge and record
the children, ask for their energies in one batch, queue them, stop on a proof or an
exhausted budget. What every algorithm shares (clock, counters, env calls, requests, crash
handling, release) is ``qed.search.scaffold``; the requests are ``qed.search.requests``.
``search_steps`` *yields* ``Propose`` and ``Score`` requests and is sent a ``Reply`` for each
(mctx-style), so an executor can interleave many searches and batch their policy and value
calls together (``qed.dist.local``). ``best_first`` is the one-search driver. Env calls are
made inside the generator (each search owns its env or lease). Knows nothing about models,
Lean processes, files or config.

Rules:
- A node is a proof state; an expansion asks for ``budget.candidates`` tactics for the
  state (the policy sees the whole state text; tactics act on its first goal, as Lean's
  tactic blocks do, so a proof is a plain tactic list), applies each distinct one in the
  policy's order, and records each outcome as a child (see ``qed.search.tree`` for
  merging). The first tactic that closes the last goal ends the search: ``proved``.
- ``settings.batch_expansions`` nodes are popped per step: their proposals are one
  request and all their new children one score request (1 = strict best-first).
- Deferred scoring: children are queued only after their batch is scored. Without a value
  function (``scored=False``) no score requests are made and energies stay NaN.
- Budgets: ``max_expansions`` expansions, ``max_seconds`` of wall time from the first step
  (checked before each expansion and between tactic applications), ``max_depth``.
- Start, crashes and release follow ``qed.search.scaffold``'s rules.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qed.core import Candidate, Env, Policy, Proved, Query, Theorem, ValueFn, ValueQuery
from qed.search.requests import Propose, Reply, Request, Score, Steps
from qed.search.result import Budget, NodeOutcome, SearchResult, Status, StopReason
from qed.search.scaffold import Scaffold, run_steps
from qed.search.tree import Tree

__all__ = ["SearchSettings", "search_steps", "best_first", "distinct_candidates", "run_steps", "Propose",
           "Score", "Reply", "Request", "Steps"]


@dataclass(frozen=True)
class SearchSettings:
    """How nodes are ranked and batched (see ``qed.search.tree`` for the priority formula)."""

    alpha: float = 0.5
    length_normalise: bool = False
    batch_expansions: int = 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")
        if self.batch_expansions < 1:
            raise ValueError(f"batch_expansions must be >= 1, got {self.batch_expansions}")

    def steps(self, theorem: Theorem, *, env: Env, budget: Budget, scored: bool = True) -> Steps:
        """Best-first search of ``theorem`` as a request generator (``search_steps``)."""
        return search_steps(theorem, env=env, budget=budget, settings=self, scored=scored)


def search_steps(
    theorem: Theorem,
    *,
    env: Env,
    budget: Budget,
    settings: SearchSettings = SearchSettings(),
    scored: bool = True,
    now: Callable[[], float] = time.perf_counter,
) -> Steps:
    """Search ``theorem``; yields ``Propose``/``Score`` requests, returns the ``SearchResult``."""
    knobs = (("alpha", settings.alpha), ("length_normalise", settings.length_normalise),
             ("batch_expansions", settings.batch_expansions))
    sc = Scaffold(theorem, env, budget, scored=scored, knobs=knobs, now=now)
    root = sc.start()
    if isinstance(root, SearchResult):
        return root
    tree = sc.tree = Tree(root, alpha=settings.alpha, length_normalise=settings.length_normalise)
    root_text = root.text
    if scored:
        (energy,) = yield from sc.ask(Score((ValueQuery(root_text, root_text),)))
        tree.set_energy(0, sc.energy(energy))
    tree.push(0)

    def loop() -> Steps:
        while True:
            if tree.expansions >= budget.max_expansions:
                return sc.finish(Status.FAILED, StopReason.EXPANSIONS)
            if sc.out_of_time():
                return sc.finish(Status.FAILED, StopReason.SECONDS)
            batch: list[int] = []
            while len(batch) < min(settings.batch_expansions, budget.max_expansions - tree.expansions):
                node_id = tree.pop()
                if node_id is None:
                    break
                tree.mark_expanded(node_id)
                batch.append(node_id)
            if not batch:
                return sc.finish(Status.FAILED, StopReason.EXHAUSTED)
            queries = tuple(Query(theorem, tree.state(i).text) for i in batch)
            proposals = yield from sc.ask(Propose(queries, budget.candidates))
            fresh: list[int] = []
            for node_id, candidates in zip(batch, proposals, strict=True):
                state = tree.state(node_id)
                for cand in distinct_candidates(candidates, budget.candidates):
                    if sc.out_of_time():
                        break
                    outcome = sc.apply(state, cand.tactic)
                    child, new = tree.add(node_id, cand, outcome, sc.last_env)
                    if isinstance(outcome, Proved):
                        return sc.finish(Status.PROVED, StopReason.PROVED)
                    if new and tree.nodes[child].outcome == NodeOutcome.GOALS:
                        fresh.append(child)
            if budget.max_depth:
                fresh = [i for i in fresh if tree.nodes[i].depth < budget.max_depth]
            if fresh and scored:
                energies = yield from sc.ask(
                    Score(tuple(ValueQuery(tree.nodes[i].state, root_text) for i in fresh))
                )
                for i, e in zip(fresh, energies, strict=True):
                    tree.set_energy(i, sc.energy(e))
            for i in fresh:
                if tree.nodes[i].expansion_order < 0:
                    tree.push(i)

    return (yield from sc.guard(loop()))


def distinct_candidates(candidates: Sequence[Candidate], n: int) -> list[Candidate]:
    """The first ``n`` candidates with distinct (whitespace-stripped, non-empty) tactics."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for c in candidates:
        key = c.tactic.strip()
        if key and key not in seen:
            seen.add(key)
            out.append(c if c.tactic == key else Candidate(key, c.logprob, c.n_tokens))
            if len(out) == n:
                break
    return out


def best_first(
    theorem: Theorem,
    *,
    env: Env,
    policy: Policy,
    value: ValueFn | None,
    budget: Budget = Budget(),
    settings: SearchSettings = SearchSettings(),
) -> SearchResult:
    """Best-first search for a proof of ``theorem``; ``value=None`` searches by log-prob alone."""
    steps = search_steps(theorem, env=env, budget=budget, settings=settings, scored=value is not None)
    return run_steps(steps, policy, value)
