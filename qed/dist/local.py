"""``LocalProver``: several best-first searches interleaved in one process, model calls batched.

Owns the scheduling of concurrent searches on one machine: up to ``concurrency`` searches
are active at once; each is a ``qed.search.best_first.search_steps`` generator. Every round
the pending requests of all active searches are gathered: the ``Propose`` requests become
ONE ``policy.propose`` call (grouped by ``n``) and the ``Score`` requests ONE ``value.score``
call; each search is charged its share of a call's time (by query count). Env calls happen
inside each search; with ``threads > 1`` the searches are advanced on a thread pool so
their env calls (Lean processes) overlap.

Envs come from an ``EnvSource``: ``shared(env)`` hands every search the same env (the
sandbox: states are plain values), ``pooled(pool)`` one ``LeanPool`` lease per theorem,
held for the whole search (a crash inside it is the lease's to report and the pool's to
repair). Knows nothing about files, config or summaries: results are yielded as each
search finishes (any order), and the caller writes them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field, replace

from qed.core import Env, Policy, Theorem, ValueFn
from qed.search.best_first import SearchSettings
from qed.search.requests import Propose, Reply, Request, Score, SearchAlgorithm, Steps
from qed.search.result import Budget, SearchResult

EnvSource = Callable[[Theorem], AbstractContextManager[Env]]


def shared(env: Env) -> EnvSource:
    """Every search uses ``env`` itself (right for stateless envs such as the sandbox)."""
    return lambda _theorem: nullcontext(env)


def pooled(pool) -> EnvSource:
    """One lease of ``pool`` (a ``qed.env.pool.LeanPool``) per theorem, held for its search."""
    return lambda _theorem: pool.lease()


@dataclass
class _Active:
    theorem: Theorem
    steps: Steps
    stack: ExitStack
    request: Request | None = None
    result: SearchResult | None = None
    charged: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchStats:
    """Model calls made by the executor (after batching) and their total seconds."""

    policy_calls: int = 0
    policy_queries: int = 0
    policy_seconds: float = 0.0
    value_calls: int = 0
    value_queries: int = 0
    value_seconds: float = 0.0


class LocalProver:
    """Proves theorems, ``concurrency`` at a time, batching model calls.

    ``settings`` is the search algorithm: any object with ``steps(theorem, *, env, budget,
    scored)`` (``SearchSettings``: best-first; ``MctsSettings``: MCTS); the choice is made
    by the caller (``qed.cli.build.build_search``), never here.

    ``value=None`` searches by log-probability alone (no score requests). The policy must
    already sample at ``budget.temperature`` (the search records it; see ``Budget``).
    """

    def __init__(
        self,
        *,
        envs: EnvSource,
        policy: Policy,
        value: ValueFn | None,
        budget: Budget,
        settings: SearchAlgorithm = SearchSettings(),
        concurrency: int = 1,
        threads: int = 1,
    ):
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        self.envs, self.policy, self.value = envs, policy, value
        self.budget, self.settings = budget, settings
        self.concurrency, self.threads = concurrency, threads
        self.batch_stats = BatchStats()

    def prove(self, theorems: Iterable[Theorem]) -> Iterator[SearchResult]:
        """Search each theorem; yield each result as its search ends (not in input order)."""
        pending = iter(theorems)
        active: list[_Active] = []
        pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None
        try:
            while True:
                starting = []
                while len(active) + len(starting) < self.concurrency:
                    theorem = next(pending, None)
                    if theorem is None:
                        break
                    starting.append(self._open(theorem))
                self._advance(pool, [(a, None) for a in starting])
                active += starting
                done = [a for a in active if a.result is not None]
                active = [a for a in active if a.result is None]
                for a in done:
                    yield a.result
                if not active:
                    if not starting:
                        return
                    continue
                self._advance(pool, self._answer(active))
                for a in [a for a in active if a.result is not None]:
                    active.remove(a)
                    yield a.result
        finally:
            for a in active:
                a.steps.close()
                a.stack.close()
            if pool is not None:
                pool.shutdown(wait=True)

    # ---- internals ------------------------------------------------------------------

    def _open(self, theorem: Theorem) -> _Active:
        stack = ExitStack()
        env = stack.enter_context(self.envs(theorem))
        steps = self.settings.steps(theorem, env=env, budget=self.budget, scored=self.value is not None)
        return _Active(theorem, steps, stack)

    def _answer(self, active: list[_Active]) -> list[tuple[_Active, Reply]]:
        """One batched model call per request kind (and per ``n``); each search gets its slice."""
        replies: list[tuple[_Active, Reply]] = []
        proposals = [a for a in active if isinstance(a.request, Propose)]
        for n in sorted({a.request.n for a in proposals}):
            group = [a for a in proposals if a.request.n == n]
            queries = [q for a in group for q in a.request.queries]
            t = time.perf_counter()
            answer = self.policy.propose(queries, n)
            seconds = time.perf_counter() - t
            if len(answer) != len(queries):
                raise ValueError(f"the policy answered {len(answer)} results for {len(queries)} queries")
            s = self.batch_stats
            self.batch_stats = replace(s, policy_calls=s.policy_calls + 1,
                                       policy_queries=s.policy_queries + len(queries),
                                       policy_seconds=s.policy_seconds + seconds)
            replies += _split(group, answer, seconds)
        scores = [a for a in active if isinstance(a.request, Score)]
        if scores:
            if self.value is None:
                raise ValueError("a search asked for energies but no value function was given")
            queries = [q for a in scores for q in a.request.queries]
            t = time.perf_counter()
            answer = self.value.score(queries)
            seconds = time.perf_counter() - t
            if len(answer) != len(queries):
                raise ValueError(
                    f"the value function answered {len(answer)} energies for {len(queries)} queries"
                )
            s = self.batch_stats
            self.batch_stats = replace(s, value_calls=s.value_calls + 1,
                                       value_queries=s.value_queries + len(queries),
                                       value_seconds=s.value_seconds + seconds)
            replies += _split(scores, answer, seconds)
        return replies

    def _advance(self, pool: ThreadPoolExecutor | None, work: list[tuple[_Active, Reply | None]]) -> None:
        if pool is None or len(work) <= 1:
            for a, reply in work:
                _step(a, reply)
            return
        for future in [pool.submit(_step, a, reply) for a, reply in work]:
            future.result()


def _split(group: list[_Active], answer: list, seconds: float) -> list[tuple[_Active, Reply]]:
    total = sum(len(a.request.queries) for a in group)
    out, i = [], 0
    for a in group:
        k = len(a.request.queries)
        out.append((a, Reply(answer[i : i + k], seconds * k / total if total else 0.0)))
        i += k
    return out


def _step(a: _Active, reply: Reply | None) -> None:
    """Advance one search to its next request, or record its result and release its env."""
    try:
        a.request = next(a.steps) if reply is None else a.steps.send(reply)
    except StopIteration as stop:
        a.result, a.request = stop.value, None
        a.stack.close()
    except BaseException:
        a.stack.close()
        raise
