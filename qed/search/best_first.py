"""Best-first proof search as a step-wise generator of model requests, and its simple driver.

Owns the search loop: start the theorem, pop the best nodes, ask for tactics, apply them,
merge and record the children, ask for their energies in one batch, queue them, stop on a
proof or an exhausted budget. Model calls are not made here: ``search_steps`` *yields*
``Propose`` and ``Score`` requests and is sent a ``Reply`` for each (mctx-style), so an
executor can interleave many searches and batch their policy and value calls together
(``qed.dist.local``). ``best_first`` is the one-search driver that answers each request by
calling the policy or value directly. Env calls are made inside the generator (each search
owns its env or lease). Knows nothing about models, Lean processes, files or config.

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
- ``StatementError`` from ``env.start`` gives status ``unsupported``; ``EnvCrashed`` at any
  point gives status ``error`` with the partial graph. Policy and value exceptions propagate.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

from qed.core import (
    Candidate,
    Env,
    EnvCrashed,
    Policy,
    Proved,
    Query,
    StatementError,
    Theorem,
    ValueFn,
    ValueQuery,
)
from qed.search.result import Budget, SearchResult, SearchStats
from qed.search.tree import Tree


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


class _Clock:
    """Seconds spent inside the generator (active) and in env calls."""

    def __init__(self, now: Callable[[], float]):
        self.now = now
        self.start = now()
        self.resumed = self.start
        self.active = 0.0
        self.env = 0.0
        self.env_calls = 0
        self.last_env = 0.0
        self.policy = 0.0
        self.value = 0.0

    def pause(self) -> None:
        self.active += self.now() - self.resumed

    def resume(self) -> None:
        self.resumed = self.now()

    def elapsed(self) -> float:
        return self.now() - self.start


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
    clock = _Clock(now)
    counts = {"policy_calls": 0, "policy_queries": 0, "value_calls": 0, "value_queries": 0}
    tree: Tree | None = None

    def finish(status: str, stop: str, message: str = "") -> SearchResult:
        clock.pause()
        nodes = tree.freeze() if tree is not None else ()
        stats = SearchStats(
            expansions=tree.expansions if tree else 0,
            nodes=len(nodes),
            merged=tree.merged if tree else 0,
            env_calls=clock.env_calls,
            env_seconds=clock.env,
            policy_calls=counts["policy_calls"],
            policy_queries=counts["policy_queries"],
            policy_seconds=clock.policy,
            value_calls=counts["value_calls"],
            value_queries=counts["value_queries"],
            value_seconds=clock.value,
            overhead_seconds=max(clock.active - clock.env, 0.0),
            wall_seconds=clock.elapsed(),
        )
        knobs = (
            ("alpha", settings.alpha),
            ("length_normalise", settings.length_normalise),
            ("batch_expansions", settings.batch_expansions),
            ("scored", scored),
        )
        return SearchResult(
            theorem, status, nodes, tuple(tree.edges) if tree else (), stats, budget, knobs, stop, message
        )

    def env_call(fn, *args):
        t = now()
        try:
            return fn(*args)
        finally:
            clock.last_env = now() - t
            clock.env += clock.last_env
            clock.env_calls += 1

    def ask(request: Request) -> Generator[Request, Reply, Sequence]:
        clock.pause()
        reply = yield request
        clock.resume()
        expected = len(request.queries)
        if not isinstance(reply, Reply) or len(reply.value) != expected:
            got = len(reply.value) if isinstance(reply, Reply) else type(reply).__name__
            kind = "policy" if isinstance(request, Propose) else "value function"
            raise ValueError(f"the {kind} answered {got} results for {expected} queries")
        if isinstance(request, Propose):
            clock.policy += reply.seconds
            counts["policy_calls"] += 1
            counts["policy_queries"] += expected
        else:
            clock.value += reply.seconds
            counts["value_calls"] += 1
            counts["value_queries"] += expected
        return reply.value

    try:
        root = env_call(env.start, theorem)
    except StatementError as exc:
        return finish("unsupported", "rejected", str(exc))
    except EnvCrashed as exc:
        return finish("error", "crashed", f"env crashed starting the theorem: {exc}")
    tree = Tree(root, alpha=settings.alpha, length_normalise=settings.length_normalise)
    root_text = root.text
    if root.is_solved:
        return finish("error", "crashed", "env started the theorem with no goals")
    if scored:
        (energy,) = yield from ask(Score((ValueQuery(root_text, root_text),)))
        tree.set_energy(0, _energy(energy))
    tree.push(0)

    crashed = False
    try:
        while True:
            if tree.expansions >= budget.max_expansions:
                return finish("failed", "expansions")
            if clock.elapsed() >= budget.max_seconds:
                return finish("failed", "seconds")
            batch: list[int] = []
            while len(batch) < min(settings.batch_expansions, budget.max_expansions - tree.expansions):
                node_id = tree.pop()
                if node_id is None:
                    break
                tree.mark_expanded(node_id)
                batch.append(node_id)
            if not batch:
                return finish("failed", "exhausted")
            queries = tuple(Query(theorem, tree.state(i).text) for i in batch)
            proposals = yield from ask(Propose(queries, budget.candidates))
            fresh: list[int] = []
            for node_id, candidates in zip(batch, proposals, strict=True):
                state = tree.state(node_id)
                for cand in distinct_candidates(candidates, budget.candidates):
                    if clock.elapsed() >= budget.max_seconds:
                        break
                    outcome = env_call(env.apply, state, 0, cand.tactic)
                    child, new = tree.add(node_id, cand, outcome, clock.last_env)
                    if isinstance(outcome, Proved):
                        return finish("proved", "proved")
                    if new and tree.nodes[child].outcome == "goals":
                        fresh.append(child)
            if budget.max_depth:
                fresh = [i for i in fresh if tree.nodes[i].depth < budget.max_depth]
            if fresh and scored:
                energies = yield from ask(
                    Score(tuple(ValueQuery(tree.nodes[i].state, root_text) for i in fresh))
                )
                for i, e in zip(fresh, energies, strict=True):
                    tree.set_energy(i, _energy(e))
            for i in fresh:
                if tree.nodes[i].expansion_order < 0:
                    tree.push(i)
    except EnvCrashed as exc:
        crashed = True
        return finish("error", "crashed", f"env crashed: {exc}")
    finally:
        if not crashed:
            _release(env, tree)


def _energy(value: object) -> float:
    e = float(value)  # type: ignore[arg-type]
    if math.isnan(e):
        raise ValueError("the value function returned NaN energy")
    return e


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


def _release(env: Env, tree: Tree) -> None:
    """Tell the env the search no longer needs its states (a crash here changes nothing)."""
    try:
        env.release(list(tree.states.values()))
    except EnvCrashed:
        pass


def run_steps(steps: Steps, policy: Policy, value: ValueFn | None) -> SearchResult:
    """Drive one search generator to its end, answering requests with direct model calls."""
    try:
        request = next(steps)
        while True:
            t = time.perf_counter()
            if isinstance(request, Propose):
                answer = policy.propose(list(request.queries), request.n)
            else:
                if value is None:
                    raise ValueError("the search asked for energies but no value function was given")
                answer = value.score(list(request.queries))
            request = steps.send(Reply(answer, time.perf_counter() - t))
    except StopIteration as stop:
        return stop.value


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
