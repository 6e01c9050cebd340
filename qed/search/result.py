"""What one proof search returns: the frozen ``SearchResult`` holding the whole search graph.

Owns the records of a finished search (``Budget``, ``Node``, ``Edge``, ``SearchStats``,
``SearchResult``) and the few facts that follow from them alone (the proof path, the proof's
tactics). Pure data: knows nothing about how the search ran, nor about files, models or
environments. Trajectory rows, SFT pairs and proof files are derived from it in
``qed.data.proofs``.

The graph: node 0 is the root (the theorem's initial state). Every other node was created by
one tactic applied to the first goal of its ``parent``; its ``outcome`` is ``goals`` (open
goals remain: a live state), ``proved`` (no goals remain), ``error`` or ``timeout`` (the
tactic failed; such a node has no state and is never expanded). Identical live states
(same ``state`` text) are one node: a tactic that reaches a state already in the graph adds
an ``Edge`` instead of a node, so the graph is a DAG whose ``parent`` links form a tree
(each node's parent is the best-scoring path that reached it before it was expanded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from qed.core import Theorem


class Status(StrEnum):
    """How one search ended (closed; a ``str``, so records and JSON hold the plain value)."""

    PROVED = "proved"
    FAILED = "failed"  # budget or frontier exhausted, no proof
    ERROR = "error"  # infrastructure failure: never counts as "not proved"
    UNSUPPORTED = "unsupported"  # the env rejected the statement


class NodeOutcome(StrEnum):
    """What a node is: the root, a live state, a proof, or a failed tactic (closed)."""

    ROOT = "root"
    GOALS = "goals"
    PROVED = "proved"
    ERROR = "error"
    TIMEOUT = "timeout"


class StopReason(StrEnum):
    """What ended a search (closed)."""

    PROVED = "proved"
    EXPANSIONS = "expansions"
    SECONDS = "seconds"
    EXHAUSTED = "exhausted"
    CRASHED = "crashed"
    REJECTED = "rejected"


STATUSES = tuple(s.value for s in Status)
OUTCOMES = tuple(o.value for o in NodeOutcome)


@dataclass(frozen=True)
class Budget:
    """Per-theorem search limits.

    ``temperature`` is not applied by the search: the caller builds its policy with it (the
    ``Policy`` protocol has no temperature). It is recorded here so a result says how it was
    sampled. ``max_depth`` (0 = unlimited) stops expanding nodes at that depth.
    """

    max_expansions: int = 800
    max_seconds: float = 300.0
    candidates: int = 16
    temperature: float = 1.3
    max_depth: int = 0

    def __post_init__(self) -> None:
        if self.max_expansions < 1:
            raise ValueError(f"max_expansions must be >= 1, got {self.max_expansions}")
        if not self.max_seconds > 0:
            raise ValueError(f"max_seconds must be positive, got {self.max_seconds}")
        if self.candidates < 1:
            raise ValueError(f"candidates must be >= 1, got {self.candidates}")
        if self.max_depth < 0:
            raise ValueError(f"max_depth must be >= 0 (0 = unlimited), got {self.max_depth}")


@dataclass(frozen=True)
class Node:
    """One node of the search graph (see the module docstring).

    ``state`` is ``ProofState.text`` (``"no goals"`` when proved, ``""`` after an error or
    timeout); ``message`` the env's error text for ``error`` nodes. ``logprob``/``n_tokens``
    are the policy's for ``tactic``; ``cumulative_logprob``/``cumulative_tokens`` sum them
    along the parent links. ``energy`` is NaN when unscored. ``expansion_order`` is when the
    node was expanded (-1 never). ``env_seconds`` is the time of the tactic application that
    created it; ``created_at`` the number of expansions done when it was created.
    """

    id: int
    parent: int
    tactic: str
    logprob: float
    n_tokens: int
    depth: int
    cumulative_logprob: float
    cumulative_tokens: int
    state: str
    outcome: NodeOutcome
    energy: float = math.nan
    priority: float = math.nan
    expansion_order: int = -1
    env_seconds: float = 0.0
    created_at: int = 0
    message: str = ""

    def __post_init__(self) -> None:
        if type(self.outcome) is not NodeOutcome:
            object.__setattr__(self, "outcome", NodeOutcome(self.outcome))

    @property
    def is_live(self) -> bool:
        return self.outcome in (NodeOutcome.ROOT, NodeOutcome.GOALS)


@dataclass(frozen=True)
class Edge:
    """A tactic from ``parent`` that reached the existing node ``child`` (a merge)."""

    parent: int
    child: int
    tactic: str
    logprob: float


@dataclass(frozen=True)
class SearchStats:
    """Counts and seconds of one search.

    ``overhead_seconds`` is time spent in search code itself (bookkeeping, priorities, the
    queue), excluding env, policy and value calls and excluding time spent waiting for other
    searches when several are interleaved. ``policy_seconds``/``value_seconds`` are this
    search's share of batched calls (a batch's time split by query count).
    """

    expansions: int = 0
    nodes: int = 0
    merged: int = 0
    env_calls: int = 0
    env_seconds: float = 0.0
    policy_calls: int = 0
    policy_queries: int = 0
    policy_seconds: float = 0.0
    value_calls: int = 0
    value_queries: int = 0
    value_seconds: float = 0.0
    overhead_seconds: float = 0.0
    wall_seconds: float = 0.0


@dataclass(frozen=True)
class SearchResult:
    """The whole outcome of searching one theorem.

    ``status``: ``proved``; ``failed`` (budget or frontier exhausted, no proof);
    ``error`` (infrastructure failure: the env crashed; ``message`` says how; never counts as
    "not proved"); ``unsupported`` (the env rejected the statement; ``message`` says why).
    ``stop_reason`` says what ended a search: ``proved``, ``expansions``, ``seconds``,
    ``exhausted`` (nothing left to expand), ``crashed`` or ``rejected``.
    ``settings`` records the search knobs (alpha, length normalisation, …) as plain values.
    """

    theorem: Theorem
    status: Status
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    stats: SearchStats = field(default_factory=SearchStats)
    budget: Budget = field(default_factory=Budget)
    settings: tuple[tuple[str, float | int | bool | str], ...] = ()
    stop_reason: StopReason | str = ""
    message: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status '{self.status}' is not one of {STATUSES}")
        object.__setattr__(self, "status", Status(self.status))
        if self.stop_reason:
            object.__setattr__(self, "stop_reason", StopReason(self.stop_reason))

    @property
    def proved(self) -> bool:
        return self.status is Status.PROVED

    @property
    def root_goal(self) -> str:
        return self.nodes[0].state if self.nodes else ""

    def proof_path(self) -> tuple[int, ...]:
        """Node ids from the root to the proved node (empty unless proved)."""
        if not self.proved:
            return ()
        end = next(n for n in self.nodes if n.outcome is NodeOutcome.PROVED)
        path = [end.id]
        while path[-1] != 0:
            path.append(self.nodes[path[-1]].parent)
        return tuple(reversed(path))

    def proof_tactics(self) -> tuple[str, ...]:
        """The tactics of the proof, in order (each acts on the first open goal)."""
        return tuple(self.nodes[i].tactic for i in self.proof_path()[1:])
