"""An oracle value by hindsight: energies read off a much larger search of the same theorem.

Owns the labelling of states from a finished ``SearchResult`` and ``OracleValue``, a
``qed.core.ValueFn`` that scores states by those labels, so best-first can run with it in
place of the EBM. The labels (``hindsight_labels``):

- **path**: a state from which the big search reached a proof, scored by its remaining
  distance (tactics to the proof): the states of the found proof path, and every state with a
  tactic (tree link or merge edge) into a path state, by relaxation (``1 +`` the least
  distance among its children);
- **dead**: a state the big search expanded whose every child failed or is dead itself
  (its subtree was exhausted without a proof; "dead for this policy at this candidate
  count", since the children are the policy's proposals);
- **unknown**: everything else, including states the big search never saw.

Energies (lower = more provable): ``distance`` for path states, ``OracleEnergies.unknown``
and ``OracleEnergies.dead`` for the others; the defaults put every path state before every
unknown one and every unknown one before a dead one whatever the log-prob term of the
priority. The oracle is only as good as the big search: a theorem it did not prove has no
path states. Knows nothing about environments, policies or files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qed.core import ValueQuery
from qed.search.result import NodeOutcome, SearchResult

__all__ = ["OracleEnergies", "OracleLabels", "OracleValue", "hindsight_labels"]


@dataclass(frozen=True)
class OracleEnergies:
    """The energy of a state the big search did not put on a proof path."""

    unknown: float = 1_000.0
    dead: float = 1_000_000.0

    def __post_init__(self) -> None:
        if not 0 < self.unknown < self.dead:
            raise ValueError(f"need 0 < unknown < dead, got {self.unknown}, {self.dead}")


@dataclass(frozen=True)
class OracleLabels:
    """One theorem's hindsight labels, keyed by state text (``ProofState.text``)."""

    root: str
    distance: Mapping[str, int]
    dead: frozenset[str]

    @property
    def proved(self) -> bool:
        return self.root in self.distance

    def energy(self, state: str, energies: OracleEnergies = OracleEnergies()) -> float:
        if state in self.distance:
            return float(self.distance[state])
        return energies.dead if state in self.dead else energies.unknown


def _children(result: SearchResult) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in result.nodes]
    for n in result.nodes[1:]:
        kids[n.parent].append(n.id)
    for e in result.edges:
        kids[e.parent].append(e.child)
    return kids


def hindsight_labels(result: SearchResult) -> OracleLabels:
    """Label the states of ``result``'s graph (see the module docstring)."""
    nodes = result.nodes
    kids = _children(result)
    dist: dict[int, int] = {}
    path = result.proof_path()
    for i, node_id in enumerate(path):
        dist[node_id] = len(path) - 1 - i
    changed = bool(dist)
    while changed:  # relaxation over tree links and merge edges: a DAG, so it terminates
        changed = False
        for node in nodes:
            if not node.is_live:
                continue
            best = min((dist[c] + 1 for c in kids[node.id] if c in dist), default=None)
            if best is not None and best < dist.get(node.id, best + 1):
                dist[node.id] = best
                changed = True
    dead: dict[int, bool] = {}

    def is_dead(i: int) -> bool:
        if i not in dead:
            node = nodes[i]
            if node.outcome in (NodeOutcome.ERROR, NodeOutcome.TIMEOUT):
                dead[i] = True
            elif node.outcome is NodeOutcome.PROVED or i in dist or node.expansion_order < 0:
                dead[i] = False
            else:
                dead[i] = False  # provisional: guards against revisiting during the recursion
                dead[i] = all(is_dead(c) for c in kids[i])
        return dead[i]

    live = [n for n in nodes if n.is_live]
    return OracleLabels(
        root=result.root_goal,
        distance={nodes[i].state: d for i, d in dist.items() if nodes[i].is_live},
        dead=frozenset(n.state for n in live if is_dead(n.id)),
    )


class OracleValue:
    """A ``ValueFn`` over hindsight labels: ``labels`` maps a root-goal text to its labels.

    A query whose root has no labels scores ``energies.unknown``, so the oracle degrades to
    the policy's own ordering where it knows nothing.
    """

    def __init__(self, labels: Mapping[str, OracleLabels] | Sequence[OracleLabels],
                 energies: OracleEnergies = OracleEnergies()):
        self.labels = dict(labels) if isinstance(labels, Mapping) else {lab.root: lab for lab in labels}
        self.energies = energies

    def score(self, queries: Sequence[ValueQuery]) -> list[float]:
        out = []
        for q in queries:
            lab = self.labels.get(q.root)
            out.append(self.energies.unknown if lab is None else lab.energy(q.state, self.energies))
        return out
