"""Monte-Carlo tree search (PUCT) for proofs, step-wise like best-first search, pure Python.

Owns the MCTS loop and its settings: select a leaf from the root by PUCT, expand it (ask the
policy for ``budget.candidates`` tactics, apply each distinct one to the first goal, record
the outcomes in a ``qed.search.tree.Tree``), score the new live children in one batch, and
back the leaf's value up the path. Model calls are not made here: ``mcts_steps`` *yields*
the same ``Propose``/``Score`` requests as ``qed.search.best_first.search_steps`` and is
sent a ``Reply`` for each, so the same drivers and executors batch it; ``mcts`` is the
one-search driver with ``best_first``'s signature. Knows nothing about models, Lean
processes, files or config.

Rules:
- Values are ``-energy / value_scale`` (lower energy = better), normalised to [0, 1] by the
  smallest and largest value seen in this search (MuZero-style); without a value function
  every value is 0 (selection is then by priors and visit counts alone).
- Priors of a node's children: softmax of the policy's log-probabilities / ``prior_temperature``
  over the candidates that produced live children.
- PUCT picks the child maximising ``Q + c_puct * P * sqrt(N_parent) / (1 + N_child)`` where
  ``Q`` is the mean backed-up value of a visited child, or the child's own value (its energy
  was scored when it was created) before its first visit.
- Expanding a leaf backs up the best value among its new children. A leaf with no live
  children is dead (worst value), and so is every node whose children are all dead; dead
  nodes are never selected again. A tactic that reaches a state already in the graph adds
  an edge (see ``qed.search.tree``) but no second MCTS child, so the search tree stays a tree.
- The first tactic that closes the last goal ends the search (``proved``). Budgets as in
  best-first: ``max_expansions``, ``max_seconds``, ``max_depth`` (nodes at that depth are
  not expanded); ``stop_reason`` ``exhausted`` when the root is dead.
- ``StatementError`` from ``env.start`` gives ``unsupported``; ``EnvCrashed`` gives ``error``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

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
from qed.search.best_first import Propose, Reply, Score, Steps, distinct_candidates, run_steps
from qed.search.result import Budget, SearchResult, SearchStats
from qed.search.tree import Tree


@dataclass(frozen=True)
class MctsSettings:
    """PUCT constants (see the module docstring)."""

    c_puct: float = 1.5
    prior_temperature: float = 1.0
    value_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.c_puct < 0:
            raise ValueError(f"c_puct must be >= 0, got {self.c_puct}")
        if not self.prior_temperature > 0 or not self.value_scale > 0:
            raise ValueError("prior_temperature and value_scale must be positive")

    def steps(self, theorem: Theorem, *, env: Env, budget: Budget, scored: bool = True) -> Steps:
        """MCTS of ``theorem`` as a request generator (``mcts_steps``)."""
        return mcts_steps(theorem, env=env, budget=budget, settings=self, scored=scored)


@dataclass
class _Stats:
    """MCTS bookkeeping of one live node."""

    value: float = 0.0
    visits: int = 0
    total: float = 0.0
    expanded: bool = False
    dead: bool = False
    children: list[tuple[int, float]] = field(default_factory=list)  # (node id, prior)

    def q(self) -> float:
        return self.total / self.visits if self.visits else self.value


class _Bounds:
    def __init__(self) -> None:
        self.lo, self.hi = math.inf, -math.inf

    def add(self, v: float) -> None:
        self.lo, self.hi = min(self.lo, v), max(self.hi, v)

    def norm(self, v: float) -> float:
        return (v - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 0.5


def _priors(cands: Sequence[Candidate], temperature: float) -> list[float]:
    if not cands:
        return []
    logits = [c.logprob / temperature for c in cands]
    top = max(logits)
    w = [math.exp(x - top) for x in logits]
    total = sum(w)
    return [x / total for x in w]


def mcts_steps(
    theorem: Theorem,
    *,
    env: Env,
    budget: Budget,
    settings: MctsSettings = MctsSettings(),
    scored: bool = True,
    now: Callable[[], float] = time.perf_counter,
) -> Steps:
    """Search ``theorem`` by MCTS; yields ``Propose``/``Score`` requests, returns the ``SearchResult``."""
    start = now()
    acc = {
        "env": 0.0,
        "env_calls": 0,
        "policy": 0.0,
        "value": 0.0,
        "pc": 0,
        "pq": 0,
        "vc": 0,
        "vq": 0,
        "waiting": 0.0,
    }
    tree: Tree | None = None
    stats: dict[int, _Stats] = {}
    bounds = _Bounds()

    def finish(status: str, stop: str, message: str = "") -> SearchResult:
        wall = now() - start
        nodes = tree.freeze() if tree is not None else ()
        s = SearchStats(
            expansions=tree.expansions if tree else 0,
            nodes=len(nodes),
            merged=tree.merged if tree else 0,
            env_calls=acc["env_calls"],
            env_seconds=acc["env"],
            policy_calls=acc["pc"],
            policy_queries=acc["pq"],
            policy_seconds=acc["policy"],
            value_calls=acc["vc"],
            value_queries=acc["vq"],
            value_seconds=acc["value"],
            overhead_seconds=max(wall - acc["waiting"] - acc["env"], 0.0),
            wall_seconds=wall,
        )
        knobs = (
            ("algorithm", "mcts"),
            ("c_puct", settings.c_puct),
            ("prior_temperature", settings.prior_temperature),
            ("value_scale", settings.value_scale),
            ("scored", scored),
        )
        return SearchResult(
            theorem, status, nodes, tuple(tree.edges) if tree else (), s, budget, knobs, stop, message
        )

    def ask(request):
        t = now()
        reply = yield request
        acc["waiting"] += now() - t
        if not isinstance(reply, Reply) or len(reply.value) != len(request.queries):
            got = len(reply.value) if isinstance(reply, Reply) else type(reply).__name__
            raise ValueError(f"answered {got} results for {len(request.queries)} queries")
        key = "p" if isinstance(request, Propose) else "v"
        acc["policy" if key == "p" else "value"] += reply.seconds
        acc[key + "c"] += 1
        acc[key + "q"] += len(request.queries)
        return reply.value

    def value_of(energy: float) -> float:
        e = float(energy)
        if math.isnan(e):
            raise ValueError("the value function returned NaN energy")
        v = -e / settings.value_scale
        bounds.add(v)
        return v

    def select() -> list[int]:
        path = [0]
        while stats[path[-1]].expanded:
            node = stats[path[-1]]
            live = [(c, p) for c, p in node.children if not stats[c].dead]
            sqrt_n = math.sqrt(max(node.visits, 1))
            best = max(
                live,
                key=lambda cp: (
                    bounds.norm(stats[cp[0]].q())
                    + settings.c_puct * cp[1] * sqrt_n / (1 + stats[cp[0]].visits)
                ),
            )
            path.append(best[0])
        return path

    def mark_dead(path: list[int]) -> None:
        for i in reversed(path):
            s = stats[i]
            if s.expanded and all(stats[c].dead for c, _ in s.children):
                s.dead = True
            else:
                break

    def backup(path: list[int], v: float) -> None:
        for i in path:
            stats[i].visits += 1
            stats[i].total += v

    def env_call(fn, *args):
        t = now()
        try:
            return fn(*args)
        finally:
            acc["env"] += now() - t
            acc["env_calls"] += 1

    try:
        root = env_call(env.start, theorem)
    except StatementError as exc:
        return finish("unsupported", "rejected", str(exc))
    except EnvCrashed as exc:
        return finish("error", "crashed", f"env crashed starting the theorem: {exc}")
    if root.is_solved:
        return finish("error", "crashed", "env started the theorem with no goals")
    tree = Tree(root, alpha=0.0, length_normalise=False)
    stats[0] = _Stats()
    if scored:
        (energy,) = yield from ask(Score((ValueQuery(root.text, root.text),)))
        tree.set_energy(0, float(energy))
        stats[0].value = value_of(energy)

    crashed = False
    try:
        while True:
            if tree.expansions >= budget.max_expansions:
                return finish("failed", "expansions")
            if now() - start >= budget.max_seconds:
                return finish("failed", "seconds")
            if stats[0].dead:
                return finish("failed", "exhausted")
            path = select()
            leaf = path[-1]
            tree.mark_expanded(leaf)
            stats[leaf].expanded = True
            state = tree.state(leaf)
            (proposals,) = yield from ask(Propose((Query(theorem, state.text),), budget.candidates))
            fresh: list[tuple[int, Candidate]] = []
            for cand in distinct_candidates(proposals, budget.candidates):
                if now() - start >= budget.max_seconds:
                    break
                outcome = env_call(env.apply, state, 0, cand.tactic)
                child, new = tree.add(leaf, cand, outcome, 0.0)
                if isinstance(outcome, Proved):
                    return finish("proved", "proved")
                if new and tree.nodes[child].outcome == "goals":
                    fresh.append((child, cand))
            for (child, _), p in zip(
                fresh, _priors([c for _, c in fresh], settings.prior_temperature), strict=True
            ):
                stats[child] = _Stats()
                stats[leaf].children.append((child, p))
                if budget.max_depth and tree.nodes[child].depth >= budget.max_depth:
                    stats[child].dead = True
            live = [c for c, _ in stats[leaf].children if not stats[c].dead]
            if live and scored:
                energies = yield from ask(
                    Score(tuple(ValueQuery(tree.nodes[c].state, root.text) for c in live))
                )
                for c, e in zip(live, energies, strict=True):
                    tree.set_energy(c, float(e))
                    stats[c].value = value_of(e)
            if live:
                backup(path, max(stats[c].value for c in live))
            else:
                mark_dead(path)
                backup(path, bounds.lo if bounds.lo < math.inf else 0.0)
    except EnvCrashed as exc:
        crashed = True
        return finish("error", "crashed", f"env crashed: {exc}")
    finally:
        if not crashed and tree is not None:
            try:
                env.release(list(tree.states.values()))
            except EnvCrashed:
                pass


def mcts(
    theorem: Theorem,
    *,
    env: Env,
    policy: Policy,
    value: ValueFn | None,
    budget: Budget = Budget(),
    settings: MctsSettings = MctsSettings(),
) -> SearchResult:
    """MCTS for a proof of ``theorem``; ``value=None`` selects by priors and visit counts alone."""
    steps = mcts_steps(theorem, env=env, budget=budget, settings=settings, scored=value is not None)
    return run_steps(steps, policy, value)
