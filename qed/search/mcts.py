"""Monte-Carlo tree search (PUCT) for proofs, step-wise like best-first search, pure Python.

Owns the MCTS loop and its settings: select a leaf from the root by PUCT, expand it (ask the
policy for ``budget.candidates`` tactics, apply each distinct one to the first goal, record
the outcomes in a ``qed.search.tree.Tree``), score the new live children in one batch, and
back the leaf's value up the path. Model calls are not made here: ``mcts_steps`` *yields*
the same ``Propose``/``Score`` requests (``qed.search.requests``) as best-first and is
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
- Start, crashes, release, timing and request accounting: ``qed.search.scaffold`` (shared
  with best-first; every node records the seconds of the tactic application that made it).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from qed.core import Candidate, Env, Policy, Proved, Query, Theorem, ValueFn, ValueQuery
from qed.search.best_first import distinct_candidates
from qed.search.requests import Propose, Score, Steps
from qed.search.result import Budget, NodeOutcome, SearchResult, Status, StopReason
from qed.search.scaffold import Scaffold, run_steps
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
    knobs = (("algorithm", "mcts"), ("c_puct", settings.c_puct),
             ("prior_temperature", settings.prior_temperature), ("value_scale", settings.value_scale))
    sc = Scaffold(theorem, env, budget, scored=scored, knobs=knobs, now=now)
    stats: dict[int, _Stats] = {}
    bounds = _Bounds()

    def value_of(energy: float) -> float:
        v = -sc.energy(energy) / settings.value_scale
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

    root = sc.start()
    if isinstance(root, SearchResult):
        return root
    tree = sc.tree = Tree(root, alpha=0.0, length_normalise=False)
    stats[0] = _Stats()
    if scored:
        (energy,) = yield from sc.ask(Score((ValueQuery(root.text, root.text),)))
        stats[0].value = value_of(energy)
        tree.set_energy(0, float(energy))

    def loop() -> Steps:
        while True:
            if tree.expansions >= budget.max_expansions:
                return sc.finish(Status.FAILED, StopReason.EXPANSIONS)
            if sc.out_of_time():
                return sc.finish(Status.FAILED, StopReason.SECONDS)
            if stats[0].dead:
                return sc.finish(Status.FAILED, StopReason.EXHAUSTED)
            path = select()
            leaf = path[-1]
            tree.mark_expanded(leaf)
            stats[leaf].expanded = True
            state = tree.state(leaf)
            (proposals,) = yield from sc.ask(Propose((Query(theorem, state.text),), budget.candidates))
            fresh: list[tuple[int, Candidate]] = []
            for cand in distinct_candidates(proposals, budget.candidates):
                if sc.out_of_time():
                    break
                outcome = sc.apply(state, cand.tactic)
                child, new = tree.add(leaf, cand, outcome, sc.last_env)
                if isinstance(outcome, Proved):
                    return sc.finish(Status.PROVED, StopReason.PROVED)
                if new and tree.nodes[child].outcome == NodeOutcome.GOALS:
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
                energies = yield from sc.ask(
                    Score(tuple(ValueQuery(tree.nodes[c].state, root.text) for c in live))
                )
                for c, e in zip(live, energies, strict=True):
                    stats[c].value = value_of(e)
                    tree.set_energy(c, float(e))
            if live:
                backup(path, max(stats[c].value for c in live))
            else:
                mark_dead(path)
                backup(path, bounds.lo if bounds.lo < math.inf else 0.0)

    return (yield from sc.guard(loop()))


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
