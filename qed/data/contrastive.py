"""Contrastive groups for the value model, from search trajectories.

Owns the labelling rules (which states are positives, which negatives, of what kind),
the dual-label rule, and group assembly (one positive + K negatives). Knows nothing about
embeddings, models or training; splitting by theorem lives in ``qed.data.trajectory``.
Callers build groups separately per split, so hard negatives never cross a split.

Rules (documented in docs/value.md):

- Only live states count (outcome ``goals``); the root (it conditions the model) and
  ``proved`` nodes (``no goals``) are never positives or negatives.
- Positive: a state on a found proof path. One group per positive; the group keeps its depth.
- Negatives, by kind, in the order they fill a group's K slots:
  1. ``hard``: live states of *failed* searches (other theorems) at a depth within
     ``depth_window`` of the positive's; ``round(hard_fraction * K)`` slots are reserved.
  2. ``sibling``: off-path children of the positive's parent.
  3. ``dead_end``: other off-path states of the same search that search expanded
     (``expansion_order >= 0``) without reaching the proof.
  4. ``hard`` again, then ``other``: any negative state of the split (fallback).
  If fewer than K distinct negatives exist in all pools, the group is filled by drawing
  again from what exists (counted in ``ContrastiveStats.padded_groups``); a positive with no
  negative at all is dropped (``dropped``).
- Every candidate carries its own theorem's root goal: a hard negative from another
  theorem is scored with *its* root, as search would score it, so a goal mismatch never
  gives the answer away.
- Dual labels: a state text that is a positive somewhere and a negative elsewhere (same
  state reached off-path, or in another theorem's failed search) is counted
  (``dual_label_rate`` = dual texts / all labelled texts) and resolved "positive wins":
  it is removed from every negative pool. A proof path proves the state provable; being
  off a path only says search went elsewhere.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from qed.data.trajectory import TrajectoryRow, by_theorem

KINDS = ("sibling", "dead_end", "hard", "other")


@dataclass(frozen=True)
class ContrastiveGroup:
    """One positive state and K negatives; ``negative_roots[i]`` conditions ``negatives[i]``."""

    theorem: str
    depth: int
    positive: str
    root: str
    negatives: tuple[str, ...]
    negative_roots: tuple[str, ...]
    negative_kinds: tuple[str, ...]


@dataclass(frozen=True)
class LabelledState:
    """A live state with its label.

    ``kind``: ``positive`` (on a proof path); ``dual`` (off a path, but its text is a positive
    elsewhere: labelled positive by the dual-label rule, never a group's anchor); or a negative
    kind: ``sibling`` (child of a proof-path node), ``dead_end`` (expanded, off the path),
    ``off_path`` (never expanded), ``failed`` (any state of a failed search).
    """

    theorem: str
    node_id: int
    parent_id: int
    depth: int
    state: str
    root: str
    positive: bool
    kind: str
    expanded: bool = False


@dataclass(frozen=True)
class ContrastiveStats:
    positives: int
    groups: int
    dropped: int
    padded_groups: int
    labelled_texts: int
    dual_label_texts: int
    negatives_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def dual_label_rate(self) -> float:
        return self.dual_label_texts / self.labelled_texts if self.labelled_texts else 0.0


def labelled_states(rows: Sequence[TrajectoryRow]) -> list[LabelledState]:
    """Every live non-root state, labelled, with the dual-label rule applied (positive wins)."""
    out: list[LabelledState] = []
    for tree in by_theorem(rows).values():
        path_parents = {r.parent_id for r in tree if r.on_proof_path and r.outcome == "goals"}
        for r in tree:
            if r.outcome != "goals":
                continue
            if r.on_proof_path:
                kind = "positive"
            elif not r.proved:
                kind = "failed"
            elif r.parent_id in path_parents:
                kind = "sibling"
            elif r.expansion_order >= 0:
                kind = "dead_end"
            else:
                kind = "off_path"
            out.append(
                LabelledState(
                    r.theorem,
                    r.node_id,
                    r.parent_id,
                    r.depth,
                    r.state,
                    r.root,
                    kind == "positive",
                    kind,
                    r.expansion_order >= 0,
                )
            )
    positive_texts = {s.state for s in out if s.positive}
    return [
        replace(s, positive=True, kind="dual") if not s.positive and s.state in positive_texts else s
        for s in out
    ]


def dual_label_counts(rows: Sequence[TrajectoryRow]) -> tuple[int, int]:
    """(texts labelled both positive and negative, all distinct labelled texts), before the rule."""
    pos: set[str] = set()
    neg: set[str] = set()
    for r in rows:
        if r.outcome == "goals":
            (pos if r.on_proof_path else neg).add(r.state)
    return len(pos & neg), len(pos | neg)


def build_groups(
    rows: Sequence[TrajectoryRow],
    *,
    k: int = 7,
    depth_window: int = 1,
    hard_fraction: float = 0.25,
    seed: int = 0,
) -> tuple[list[ContrastiveGroup], ContrastiveStats]:
    """Groups of one positive and ``k`` negatives from ``rows`` (one split), and counts.

    Deterministic for a given ``seed``; each group's draw depends only on its own theorem
    and node, so adding theorems leaves existing groups unchanged except for their pools.
    """
    if k < 1:
        raise ValueError(f"k (negatives per group) must be >= 1, got {k}")
    states = labelled_states(rows)
    dual, labelled = dual_label_counts(rows)
    negatives = [s for s in states if not s.positive]
    hard_by_depth: dict[int, list[LabelledState]] = defaultdict(list)
    for s in negatives:
        if s.kind == "failed":
            hard_by_depth[s.depth].append(s)
    per_theorem: dict[str, list[LabelledState]] = defaultdict(list)
    for s in negatives:
        per_theorem[s.theorem].append(s)

    groups: list[ContrastiveGroup] = []
    kinds: Counter[str] = Counter()
    dropped = padded = 0
    n_hard = round(hard_fraction * k)
    positives = [s for s in states if s.positive and s.kind == "positive"]
    for p in positives:
        rng = random.Random(f"{seed}\x00{p.theorem}\x00{p.node_id}")
        own = per_theorem.get(p.theorem, [])
        siblings = [s for s in own if s.parent_id == p.parent_id]
        dead = [s for s in own if s.expanded and s.parent_id != p.parent_id]
        hard = [
            s
            for d in range(p.depth - depth_window, p.depth + depth_window + 1)
            for s in hard_by_depth.get(d, [])
            if s.theorem != p.theorem
        ]
        chosen: list[tuple[LabelledState, str]] = []
        _take(rng, hard, "hard", n_hard, chosen)
        _take(rng, siblings, "sibling", k - len(chosen), chosen)
        _take(rng, dead, "dead_end", k - len(chosen), chosen)
        _take(rng, hard, "hard", k - len(chosen), chosen)
        _take(rng, negatives, "other", k - len(chosen), chosen)
        if not chosen:
            dropped += 1
            continue
        if len(chosen) < k:
            padded += 1
            chosen += [chosen[rng.randrange(len(chosen))] for _ in range(k - len(chosen))]
        kinds.update(kind for _, kind in chosen)
        groups.append(
            ContrastiveGroup(
                theorem=p.theorem,
                depth=p.depth,
                positive=p.state,
                root=p.root,
                negatives=tuple(s.state for s, _ in chosen),
                negative_roots=tuple(s.root for s, _ in chosen),
                negative_kinds=tuple(kind for _, kind in chosen),
            )
        )
    stats = ContrastiveStats(
        positives=len(positives),
        groups=len(groups),
        dropped=dropped,
        padded_groups=padded,
        labelled_texts=labelled,
        dual_label_texts=dual,
        negatives_by_kind={kd: kinds.get(kd, 0) for kd in KINDS},
    )
    return groups, stats


def _take(
    rng: random.Random,
    pool: list[LabelledState],
    kind: str,
    limit: int,
    chosen: list[tuple[LabelledState, str]],
) -> None:
    """Append up to ``limit`` states of ``pool`` not yet in ``chosen``, drawn without replacement."""
    if limit <= 0:
        return
    taken = {(s.theorem, s.node_id) for s, _ in chosen}
    fresh = [s for s in pool if (s.theorem, s.node_id) not in taken]
    chosen.extend((s, kind) for s in rng.sample(fresh, min(limit, len(fresh))))


@dataclass(frozen=True)
class GroupIndex:
    """Groups as indices into one list of distinct texts (states and roots alike).

    ``states[g][0]`` / ``roots[g][0]`` index group g's positive and its root; columns 1..K its
    negatives and their roots. Embed ``texts`` once, then gather rows.
    """

    texts: tuple[str, ...]
    states: tuple[tuple[int, ...], ...]
    roots: tuple[tuple[int, ...], ...]
    depths: tuple[int, ...]
    kinds: tuple[tuple[str, ...], ...]
    theorems: tuple[str, ...]


def index_groups(groups: Sequence[ContrastiveGroup]) -> GroupIndex:
    """The ``GroupIndex`` of ``groups`` (texts in first-seen order, each once)."""
    index: dict[str, int] = {}

    def at(text: str) -> int:
        return index.setdefault(text, len(index))

    states = tuple(tuple(at(t) for t in (g.positive, *g.negatives)) for g in groups)
    roots = tuple(tuple(at(t) for t in (g.root, *g.negative_roots)) for g in groups)
    return GroupIndex(
        texts=tuple(index),
        states=states,
        roots=roots,
        depths=tuple(g.depth for g in groups),
        kinds=tuple(g.negative_kinds for g in groups),
        theorems=tuple(g.theorem for g in groups),
    )
