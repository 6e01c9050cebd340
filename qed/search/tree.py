"""The mutable search graph one best-first search grows, and its priority queue.

Owns node creation, merging of identical states (one node per distinct state text), the
re-parenting rule, priorities and the lazy-deletion heap; ``freeze`` turns the graph into
the immutable records of ``qed.search.result``. Knows nothing about policies, value
functions, environments' internals or time: the search loop in ``best_first`` drives it.

Priority of a live node = ``alpha * (-energy) + (1 - alpha) * path_score`` where
``path_score`` is the cumulative log-probability of the tactics from the root, or with
``length_normalise`` that sum divided by the path's token count (by its depth when the
policy reports no token counts). An unscored node (no value function) has energy term 0.
Ties go to the node queued first.

Merging: a tactic whose result has the same ``ProofState.text`` as an existing node adds an
``Edge`` to it. If that node is not yet expanded and the new path scores better, the node
is re-parented onto the new path (its depth and cumulative log-prob change and it is
re-queued); an expanded node is never re-parented, so parent links never form a cycle and
every node's parent chain is a replayable tactic script from the root.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, fields

from qed.core import Candidate, Goals, Outcome, ProofState, Proved, TacticError, TacticTimeout
from qed.search.result import Edge, Node

MESSAGE_LIMIT = 500
_NODE_FIELDS = tuple(f.name for f in fields(Node))


@dataclass(slots=True)
class _Mutable:
    id: int
    parent: int
    tactic: str
    logprob: float
    n_tokens: int
    depth: int
    cumulative_logprob: float
    cumulative_tokens: int
    state: str
    outcome: str
    energy: float = math.nan
    priority: float = math.nan
    expansion_order: int = -1
    env_seconds: float = 0.0
    created_at: int = 0
    message: str = ""
    version: int = 0


class Tree:
    """A search graph rooted at ``root`` (see the module docstring for the rules)."""

    def __init__(self, root: ProofState, *, alpha: float, length_normalise: bool):
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self.alpha = alpha
        self.length_normalise = length_normalise
        self.nodes: list[_Mutable] = [_Mutable(id=0, parent=-1, tactic="", logprob=0.0, n_tokens=0, depth=0,
                                               cumulative_logprob=0.0, cumulative_tokens=0, state=root.text,
                                               outcome="root")]
        self.states: dict[int, ProofState] = {0: root}
        self.index: dict[str, int] = {root.text: 0}
        self.edges: list[Edge] = []
        self.expansions = 0
        self.merged = 0
        self._heap: list[tuple[float, int, int, int]] = []
        self._seq = 0

    # ---- building --------------------------------------------------------------------

    def add(self, parent: int, cand: Candidate, outcome: Outcome, env_seconds: float) -> tuple[int, bool]:
        """Record ``cand`` applied to ``parent`` with ``outcome``: (node id, whether it is new)."""
        p = self.nodes[parent]
        cum_lp = p.cumulative_logprob + cand.logprob
        cum_tok = p.cumulative_tokens + cand.n_tokens
        match outcome:
            case Goals(state=state):
                key = state.text
                existing = self.index.get(key)
                if existing is not None:
                    self._merge(existing, parent, cand, cum_lp, cum_tok)
                    return existing, False
                node = self._new(parent, cand, cum_lp, cum_tok, key, "goals", env_seconds)
                self.index[key] = node.id
                self.states[node.id] = state
            case Proved():
                node = self._new(parent, cand, cum_lp, cum_tok, "no goals", "proved", env_seconds)
            case TacticError(message=msg):
                node = self._new(parent, cand, cum_lp, cum_tok, "", "error", env_seconds)
                node.message = msg[:MESSAGE_LIMIT]
            case TacticTimeout(seconds=s):
                node = self._new(parent, cand, cum_lp, cum_tok, "", "timeout", env_seconds)
                node.message = f"timeout after {s:g} s"
            case other:
                raise TypeError(f"env returned {type(other).__name__}, not an Outcome")
        return node.id, True

    def _new(
        self, parent: int, cand: Candidate, cum_lp: float, cum_tok: int, state: str, outcome: str, secs: float
    ) -> _Mutable:
        p = self.nodes[parent]
        node = _Mutable(
            id=len(self.nodes), parent=parent, tactic=cand.tactic, logprob=cand.logprob,
            n_tokens=cand.n_tokens, depth=p.depth + 1, cumulative_logprob=cum_lp, cumulative_tokens=cum_tok,
            state=state, outcome=outcome, env_seconds=secs, created_at=self.expansions,
        )
        self.nodes.append(node)
        return node

    def _merge(self, node_id: int, parent: int, cand: Candidate, cum_lp: float, cum_tok: int) -> None:
        self.merged += 1
        node = self.nodes[node_id]
        better = self._path_score(cum_lp, cum_tok, self.nodes[parent].depth + 1) > self._path_score(
            node.cumulative_logprob, node.cumulative_tokens, node.depth
        )
        if node_id == 0 or node.expansion_order >= 0 or not better:
            self.edges.append(Edge(parent, node_id, cand.tactic, cand.logprob))
            return
        self.edges.append(Edge(node.parent, node_id, node.tactic, node.logprob))
        node.parent, node.tactic, node.logprob, node.n_tokens = (
            parent,
            cand.tactic,
            cand.logprob,
            cand.n_tokens,
        )
        node.depth = self.nodes[parent].depth + 1
        node.cumulative_logprob, node.cumulative_tokens = cum_lp, cum_tok
        if not math.isnan(node.priority):  # already queued: queue again at the new priority
            self.push(node_id)

    # ---- priorities and the queue ----------------------------------------------------

    def _path_score(self, cum_lp: float, cum_tok: int, depth: int) -> float:
        if not self.length_normalise:
            return cum_lp
        return cum_lp / (cum_tok if cum_tok else max(depth, 1))

    def priority(self, node_id: int) -> float:
        n = self.nodes[node_id]
        energy_term = 0.0 if math.isnan(n.energy) else -n.energy
        path = self._path_score(n.cumulative_logprob, n.cumulative_tokens, n.depth)
        return self.alpha * energy_term + (1.0 - self.alpha) * path

    def set_energy(self, node_id: int, energy: float) -> None:
        self.nodes[node_id].energy = float(energy)

    def push(self, node_id: int) -> None:
        """Queue a live node for expansion at its current priority (stale entries are skipped later)."""
        n = self.nodes[node_id]
        n.version += 1
        n.priority = self.priority(node_id)
        heapq.heappush(self._heap, (-n.priority, self._seq, node_id, n.version))
        self._seq += 1

    def pop(self) -> int | None:
        """The best queued node not yet expanded, or None when the queue is empty."""
        while self._heap:
            _, _, node_id, version = heapq.heappop(self._heap)
            n = self.nodes[node_id]
            if n.version == version and n.expansion_order < 0:
                return node_id
        return None

    def mark_expanded(self, node_id: int) -> None:
        self.nodes[node_id].expansion_order = self.expansions
        self.expansions += 1

    def state(self, node_id: int) -> ProofState:
        return self.states[node_id]

    # ---- output ----------------------------------------------------------------------

    def freeze(self) -> tuple[Node, ...]:
        return tuple(Node(**{f: getattr(n, f) for f in _NODE_FIELDS}) for n in self.nodes)
