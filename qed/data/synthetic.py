"""Synthetic search trees with a planted signal, for tests and demos until search exists.

Owns a deterministic generator of ``TrajectoryRow`` trees that look like best-first
search output over Lean-style goals (hypotheses, ``⊢`` target, tactic errors, dead-end
branches, unproved theorems). Knows nothing about Lean or models: the states are text
built from small lexicons.

The planted signal, of strength ``signal`` in [0, 1]: every atom of a state's target
and new hypothesis is, with probability ``signal``, marked by its label (states on a
proof path use the root goal's variables and "good" function symbols; states off the
path use fresh variables and "bad" function symbols); otherwise it is drawn from a
neutral distribution shared by both labels. ``signal = 0`` gives states whose text is
independent of their label (pure noise: no model can beat chance); ``signal = 1`` makes
the label readable from every atom. Depth leaves no trace in the text, so depth alone
never predicts the label.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from qed.data.trajectory import NO_GOALS, TrajectoryRow

VARS = tuple("xyzabcnmkpqrstuvw")
TYPES = ("ℝ", "ℕ", "ℤ", "ℚ")
GOOD_FUNS = ("f", "abs", "Nat.succ", "g")
BAD_FUNS = ("Real.log", "Real.sqrt", "Nat.factorial", "Finset.card")
NEUTRAL_FUNS = ("2 *", "3 *", "-", "")
OPS = ("+", "*", "-")
RELS = ("=", "≤", "<", "≠")
TACTICS = (
    "intro h",
    "norm_num",
    "linarith",
    "nlinarith [sq_nonneg (x - y)]",
    "simp",
    "ring_nf",
    "omega",
    "constructor",
    "rw [h₀]",
    "field_simp",
    "positivity",
    "apply le_of_lt",
)
SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"


@dataclass(frozen=True)
class SyntheticSpec:
    """How many trees and of what shape. Same spec (including ``seed``), same rows."""

    theorems: int = 300
    failed_fraction: float = 0.3
    signal: float = 0.5
    branching: int = 3
    min_depth: int = 2
    max_depth: int = 6
    expand_prob: float = 0.5
    error_prob: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.signal <= 1.0:
            raise ValueError(f"signal must lie in [0, 1], got {self.signal}")
        if not 1 <= self.min_depth <= self.max_depth:
            raise ValueError("need 1 <= min_depth <= max_depth")
        if self.branching < 2:
            raise ValueError("branching must be at least 2 (a path child and a sibling)")


def _sub(i: int) -> str:
    return "".join(SUBSCRIPTS[int(c)] for c in str(i))


class _Writer:
    """Builds one theorem's rows (private helper holding the tree under construction)."""

    def __init__(self, spec: SyntheticSpec, rng: random.Random, name: str, proved: bool):
        self.spec, self.rng, self.name, self.proved = spec, rng, name, proved
        k = rng.randrange(2, 4)
        self.root_vars = tuple(rng.sample(VARS, k))
        self.fresh_vars = tuple(v for v in VARS if v not in self.root_vars)
        ty = TYPES[rng.randrange(len(TYPES))]
        hyps = [f"{' '.join(self.root_vars)} : {ty}"]
        hyps += [f"h{_sub(i)} : {self._expr(None)}" for i in range(rng.randrange(1, 3))]
        self.root = "\n".join(hyps) + f"\n⊢ {self._expr(None)}"
        self.rows: list[TrajectoryRow] = []
        self.order = 0

    def _atom(self, positive: bool | None) -> str:
        s, rng = self.spec.signal, self.rng
        marked = positive is not None and rng.random() < s
        if marked:
            pool = self.root_vars if positive else self.fresh_vars
        else:
            pool = VARS
        var = pool[rng.randrange(len(pool))]
        if positive is not None and rng.random() < s:
            funs = GOOD_FUNS if positive else BAD_FUNS
            return f"{funs[rng.randrange(len(funs))]} ({var})"
        fn = NEUTRAL_FUNS[rng.randrange(len(NEUTRAL_FUNS))]
        return f"{fn} {var}".strip() if fn else var

    def _expr(self, positive: bool | None) -> str:
        rng = self.rng
        atoms = [self._atom(positive) for _ in range(rng.randrange(2, 5))]
        lhs = atoms[0]
        for a in atoms[1:]:
            lhs += f" {OPS[rng.randrange(len(OPS))]} {a}"
        return f"{lhs} {RELS[rng.randrange(len(RELS))]} {rng.randrange(0, 50)}"

    def state(self, positive: bool) -> str:
        hyps = self.root.split("\n")[:-1]
        new = f"h{_sub(self.rng.randrange(2, 12))} : {self._expr(positive)}"
        return "\n".join([*hyps, new, f"⊢ {self._expr(positive)}"])

    def add(self, parent: TrajectoryRow | None, state: str, outcome: str, on_path: bool) -> TrajectoryRow:
        logprob = 0.0 if parent is None else -self.rng.expovariate(1.0)
        row = TrajectoryRow(
            theorem=self.name,
            node_id=len(self.rows),
            parent_id=-1 if parent is None else parent.node_id,
            tactic="" if parent is None else TACTICS[self.rng.randrange(len(TACTICS))],
            state=state,
            root=self.root,
            depth=0 if parent is None else parent.depth + 1,
            logprob=logprob,
            cumulative_logprob=logprob + (0.0 if parent is None else parent.cumulative_logprob),
            energy=math.nan,
            outcome=outcome,
            on_proof_path=on_path,
            expansion_order=-1,
            proved=self.proved,
        )
        self.rows.append(row)
        return row

    def mark_expanded(self, row: TrajectoryRow) -> None:
        i = row.node_id
        r = self.rows[i]
        self.rows[i] = TrajectoryRow(**{**r.__dict__, "expansion_order": self.order})
        self.order += 1

    def off_path_children(self, parent: TrajectoryRow, n: int) -> list[TrajectoryRow]:
        kids = []
        for _ in range(n):
            if self.rng.random() < self.spec.error_prob:
                self.add(parent, "", "error" if self.rng.random() < 0.8 else "timeout", False)
            else:
                kids.append(self.add(parent, self.state(False), "goals", False))
        return kids

    def grow_dead_ends(self, frontier: list[TrajectoryRow]) -> None:
        """Expand off-path live nodes at random, breadth first, up to ``max_depth``."""
        while frontier:
            node = frontier.pop(0)
            if node.depth >= self.spec.max_depth or self.rng.random() >= self.spec.expand_prob:
                continue
            self.mark_expanded(node)
            frontier.extend(self.off_path_children(node, self.rng.randrange(1, self.spec.branching + 1)))


def _theorem(spec: SyntheticSpec, rng: random.Random, name: str, proved: bool) -> list[TrajectoryRow]:
    w = _Writer(spec, rng, name, proved)
    root = w.add(None, w.root, "root", proved)
    if not proved:
        w.grow_dead_ends([root] if spec.max_depth > 0 else [])
        if len(w.rows) == 1:  # a failed search expands at least its root
            w.mark_expanded(root)
            w.off_path_children(root, spec.branching)
        return w.rows
    length = rng.randrange(spec.min_depth, spec.max_depth + 1)
    node, side = root, []
    for d in range(length):
        w.mark_expanded(node)
        slot = rng.randrange(spec.branching)
        nxt = None
        for j in range(spec.branching):
            if j == slot:
                last = d == length - 1
                nxt = w.add(node, NO_GOALS if last else w.state(True), "proved" if last else "goals", True)
            else:
                side.extend(w.off_path_children(node, 1))
        node = nxt
    w.grow_dead_ends(side)
    return w.rows


def synthetic_trajectories(spec: SyntheticSpec) -> list[TrajectoryRow]:
    """All rows of ``spec.theorems`` trees; theorem names are ``synth_s<seed>_<i>``."""
    rng = random.Random(spec.seed)
    rows: list[TrajectoryRow] = []
    for i in range(spec.theorems):
        proved = rng.random() >= spec.failed_fraction
        rows.extend(_theorem(spec, rng, f"synth_s{spec.seed}_{i:05d}", proved))
    return rows
