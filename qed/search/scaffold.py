"""What every search algorithm shares: clock, counters, env calls, requests, crash handling, release.

``Scaffold`` is one search's bookkeeping. An algorithm (``best_first``, ``mcts``) owns only
its selection rule and its loop; it calls the scaffold to start the theorem, apply tactics
(timed: each node records the seconds of the application that created it), ask for
tactics or energies (``yield from scaffold.ask(request)``), check the wall-clock budget,
and finish with a ``SearchResult``; ``scaffold.guard(loop)`` turns ``EnvCrashed`` inside
the loop into status ``error`` (with the partial graph) and releases the env's states
afterwards (unless the env crashed). ``run_steps`` is the one-search driver that answers
requests by calling the policy and value directly.

Rules every algorithm inherits from here:
- ``StatementError`` from ``env.start`` gives status ``unsupported`` (stop ``rejected``);
  ``EnvCrashed`` at any point gives status ``error`` (stop ``crashed``); a theorem the env
  starts with no goals is an ``error`` too. Policy and value exceptions propagate.
- A reply must hold one result per query; an energy must not be NaN (``ValueError``).
- ``stats.overhead_seconds`` is time inside the generator minus env time;
  ``policy_seconds``/``value_seconds`` are the seconds the driver charged in ``Reply``s.
Knows nothing about models, Lean processes, files or config.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Sequence

from qed.core import Env, EnvCrashed, Outcome, Policy, ProofState, StatementError, Theorem, ValueFn
from qed.search.requests import Propose, Reply, Request, Steps
from qed.search.result import Budget, SearchResult, SearchStats, Status, StopReason
from qed.search.tree import Tree


class Scaffold:
    """One search of ``theorem`` on ``env`` within ``budget`` (see the module docstring).

    ``knobs`` are the algorithm's settings recorded in the result (``SearchResult.settings``).
    """

    def __init__(self, theorem: Theorem, env: Env, budget: Budget, *, scored: bool,
                 knobs: tuple[tuple[str, float | int | bool | str], ...],
                 now: Callable[[], float] = time.perf_counter):
        self.theorem, self.env, self.budget, self.scored = theorem, env, budget, scored
        self.knobs = (*knobs, ("scored", scored))
        self.now = now
        self.started = self.resumed = now()
        self.active = 0.0
        self.env_seconds = 0.0
        self.env_calls = 0
        self.last_env = 0.0
        self.policy_calls = self.policy_queries = self.value_calls = self.value_queries = 0
        self.policy_seconds = self.value_seconds = 0.0
        self.tree: Tree | None = None

    # ---- time ---------------------------------------------------------------------------

    def elapsed(self) -> float:
        return self.now() - self.started

    def out_of_time(self) -> bool:
        return self.elapsed() >= self.budget.max_seconds

    # ---- the env ------------------------------------------------------------------------

    def _env(self, fn, *args):
        t = self.now()
        try:
            return fn(*args)
        finally:
            self.last_env = self.now() - t
            self.env_seconds += self.last_env
            self.env_calls += 1

    def start(self) -> ProofState | SearchResult:
        """The root state, or the finished result when the env rejects or cannot start the theorem."""
        try:
            root = self._env(self.env.start, self.theorem)
        except StatementError as exc:
            return self.finish(Status.UNSUPPORTED, StopReason.REJECTED, str(exc))
        except EnvCrashed as exc:
            return self.finish(Status.ERROR, StopReason.CRASHED, f"env crashed starting the theorem: {exc}")
        if root.is_solved:
            return self.finish(Status.ERROR, StopReason.CRASHED, "env started the theorem with no goals")
        return root

    def apply(self, state: ProofState, tactic: str) -> Outcome:
        """``tactic`` on the first goal of ``state``; its seconds are in ``last_env`` afterwards."""
        return self._env(self.env.apply, state, 0, tactic)

    def release(self) -> None:
        """Tell the env the search no longer needs its states (a crash here changes nothing)."""
        if self.tree is None:
            return
        try:
            self.env.release(list(self.tree.states.values()))
        except EnvCrashed:
            pass

    # ---- requests -----------------------------------------------------------------------

    def ask(self, request: Request) -> Generator[Request, Reply, Sequence]:
        """Yield ``request``; check and account its reply; return the reply's values."""
        self.active += self.now() - self.resumed
        reply = yield request
        self.resumed = self.now()
        expected = len(request.queries)
        if not isinstance(reply, Reply) or len(reply.value) != expected:
            got = len(reply.value) if isinstance(reply, Reply) else type(reply).__name__
            kind = "policy" if isinstance(request, Propose) else "value function"
            raise ValueError(f"the {kind} answered {got} results for {expected} queries")
        if isinstance(request, Propose):
            self.policy_seconds += reply.seconds
            self.policy_calls += 1
            self.policy_queries += expected
        else:
            self.value_seconds += reply.seconds
            self.value_calls += 1
            self.value_queries += expected
        return reply.value

    @staticmethod
    def energy(value: object) -> float:
        e = float(value)  # type: ignore[arg-type]
        if math.isnan(e):
            raise ValueError("the value function returned NaN energy")
        return e

    # ---- the end ------------------------------------------------------------------------

    def guard(self, loop: Steps) -> Steps:
        """Run the algorithm's ``loop``: an env crash ends it as ``error``; states are released."""
        crashed = False
        try:
            return (yield from loop)
        except EnvCrashed as exc:
            crashed = True
            return self.finish(Status.ERROR, StopReason.CRASHED, f"env crashed: {exc}")
        finally:
            if not crashed:
                self.release()

    def finish(self, status: Status, stop: StopReason, message: str = "") -> SearchResult:
        self.active += self.now() - self.resumed
        self.resumed = self.now()
        tree = self.tree
        nodes = tree.freeze() if tree is not None else ()
        stats = SearchStats(
            expansions=tree.expansions if tree else 0, nodes=len(nodes), merged=tree.merged if tree else 0,
            env_calls=self.env_calls, env_seconds=self.env_seconds,
            policy_calls=self.policy_calls, policy_queries=self.policy_queries,
            policy_seconds=self.policy_seconds,
            value_calls=self.value_calls, value_queries=self.value_queries, value_seconds=self.value_seconds,
            overhead_seconds=max(self.active - self.env_seconds, 0.0), wall_seconds=self.elapsed(),
        )
        return SearchResult(theorem=self.theorem, status=status, nodes=nodes,
                            edges=tuple(tree.edges) if tree else (), stats=stats, budget=self.budget,
                            settings=self.knobs, stop_reason=stop, message=message)


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
