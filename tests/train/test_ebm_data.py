"""Trajectory schema and Parquet io, synthetic trees, contrastive groups (qed.data)."""

from __future__ import annotations

import math
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qed.data.contrastive import build_groups, dual_label_counts, index_groups, labelled_states
from qed.data.synthetic import SyntheticSpec, synthetic_trajectories
from qed.data.trajectory import (
    COLUMNS,
    TrajectoryError,
    TrajectoryRow,
    read_trajectories,
    split_by_theorem,
    to_table,
    validate,
    write_trajectories,
)


def row(theorem, node, parent, depth, outcome, state, *, path=False, proved=True, order=-1, root="⊢ R"):
    return TrajectoryRow(
        theorem,
        node,
        parent,
        "tac" if parent >= 0 else "",
        state,
        root,
        depth,
        -0.5,
        -0.5 * depth,
        math.nan,
        outcome,
        path,
        order,
        proved,
    )


def tiny_tree():
    """Proved T: root -> A (path) -> done; root -> B (sibling, expanded) -> C; failed F: root -> X, Y."""
    return [
        row("T", 0, -1, 0, "root", "⊢ R", path=True, order=0),
        row("T", 1, 0, 1, "goals", "A", path=True, order=1),
        row("T", 2, 0, 1, "goals", "B", order=2),
        row("T", 3, 0, 1, "error", ""),
        row("T", 4, 1, 2, "proved", "no goals", path=True),
        row("T", 5, 2, 2, "goals", "C"),
        row("F", 0, -1, 0, "root", "⊢ S", proved=False, order=0, root="⊢ S"),
        row("F", 1, 0, 1, "goals", "X", proved=False, root="⊢ S"),
        row("F", 2, 0, 1, "goals", "Y", proved=False, root="⊢ S"),
    ]


def test_round_trip_preserves_rows(tmp_path):
    rows = synthetic_trajectories(SyntheticSpec(theorems=10, seed=3))
    path = write_trajectories(tmp_path / "t.parquet", rows)
    back = read_trajectories(path)
    assert len(back) == len(rows)
    for a, b in zip(rows, back, strict=True):
        assert replace(a, energy=0.0) == replace(b, energy=0.0)
        assert math.isnan(b.energy)
    assert pq.read_schema(path).names == list(COLUMNS)


def test_missing_column_and_corrupt_file_are_named(tmp_path):
    table = to_table(tiny_tree()).drop_columns(["on_proof_path"])
    pq.write_table(table, tmp_path / "bad.parquet")
    with pytest.raises(TrajectoryError, match="missing columns \\['on_proof_path'\\]"):
        read_trajectories(tmp_path / "bad.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 garbage")
    with pytest.raises(TrajectoryError, match="junk.parquet: not a readable Parquet file"):
        read_trajectories(tmp_path / "junk.parquet")
    t = to_table(tiny_tree())
    t = t.set_column(COLUMNS.index("depth"), "depth", pa.array(["deep"] * len(t)))
    pq.write_table(t, tmp_path / "types.parquet")
    with pytest.raises(TrajectoryError, match="column 'depth' has type string"):
        read_trajectories(tmp_path / "types.parquet")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda rs: rs + [rs[1]], "appears twice"),
        (
            lambda rs: [replace(r, parent_id=9) if r.node_id == 5 and r.theorem == "T" else r for r in rs],
            "missing parent",
        ),
        (lambda rs: [replace(r, depth=3) if r.node_id == 5 and r.theorem == "T" else r for r in rs], "depth"),
        (lambda rs: [replace(r, outcome="weird") if r.node_id == 5 else r for r in rs], "outcome 'weird'"),
        (
            lambda rs: [
                replace(r, on_proof_path=False) if r.node_id == 1 and r.theorem == "T" else r for r in rs
            ],
            "proof path broken",
        ),
        (
            lambda rs: [
                replace(r, on_proof_path=True) if r.theorem == "F" and r.node_id == 1 else r for r in rs
            ],
            "unproved theorem",
        ),
    ],
)
def test_validate_rejects_broken_trees(mutate, message):
    validate(tiny_tree())
    with pytest.raises(TrajectoryError, match=message):
        validate(mutate(tiny_tree()))


def test_split_by_theorem_is_disjoint_stable_and_roughly_sized():
    names = [f"t{i}" for i in range(1000)]
    train, val = split_by_theorem(names, 0.2, seed=1)
    assert train | val == set(names) and not train & val
    assert 150 < len(val) < 250
    train2, val2 = split_by_theorem(names + [f"new{i}" for i in range(100)], 0.2, seed=1)
    assert val <= val2 and train <= train2  # adding theorems never moves an old one
    assert split_by_theorem(["a", "b"], 0.01)[1]  # at least one validation theorem


def test_synthetic_trees_are_valid_deterministic_and_shaped():
    spec = SyntheticSpec(theorems=40, seed=5, failed_fraction=0.25)
    rows = synthetic_trajectories(spec)
    validate(rows)
    again = synthetic_trajectories(spec)
    assert [replace(a, energy=0) for a in rows] == [replace(b, energy=0) for b in again]
    proved = {r.theorem for r in rows if r.proved}
    assert 20 <= len(proved) < 40
    assert max(r.depth for r in rows) <= spec.max_depth
    assert {r.outcome for r in rows} >= {"root", "goals", "proved", "error"}
    assert all("⊢" in r.state for r in rows if r.outcome in ("root", "goals"))


def test_synthetic_signal_plants_good_symbols_on_proof_paths():
    def share(rows, positive):
        st = [r.state for r in rows if r.outcome == "goals" and r.on_proof_path == positive]
        return sum("abs (" in s or "Nat.succ (" in s for s in st) / len(st)

    strong = synthetic_trajectories(SyntheticSpec(theorems=60, signal=0.9))
    noise = synthetic_trajectories(SyntheticSpec(theorems=60, signal=0.0))
    assert share(strong, True) > 0.8 and share(strong, False) < 0.05
    assert share(noise, True) == share(noise, False) == 0.0


def test_groups_follow_the_rules_on_a_hand_built_tree():
    groups, stats = build_groups(tiny_tree(), k=3, hard_fraction=0.0)
    assert stats.positives == 1 and len(groups) == 1
    g = groups[0]
    assert (g.theorem, g.depth, g.positive, g.root) == ("T", 1, "A", "⊢ R")
    # sibling first, then the expanded off-path... (B is the sibling); then hard negatives from F
    assert g.negative_kinds[0] == "sibling" and g.negatives[0] == "B"
    assert set(g.negatives[1:]) == {"X", "Y"} and set(g.negative_kinds[1:]) == {"hard"}
    assert g.negative_roots == ("⊢ R", "⊢ S", "⊢ S")  # every negative keeps its own root
    assert "C" not in g.negatives  # depth 2 and not expanded: outside every pool but 'other'


def test_groups_pad_when_short_and_drop_when_no_negative():
    groups, stats = build_groups(tiny_tree(), k=6)
    assert len(groups[0].negatives) == 6 and stats.padded_groups == 1
    only_path = [r for r in tiny_tree() if r.theorem == "T" and (r.on_proof_path or r.outcome == "error")]
    groups, stats = build_groups(only_path, k=2)
    assert groups == [] and stats.dropped == 1


def test_dual_labels_are_counted_and_positive_wins():
    rows = tiny_tree()
    rows = [replace(r, state="A") if r.theorem == "F" and r.node_id == 1 else r for r in rows]
    assert dual_label_counts(rows) == (1, 4)  # distinct texts A, B, C, Y; A is both
    groups, stats = build_groups(rows, k=3)
    assert stats.dual_label_rate == pytest.approx(0.25)
    assert all("A" not in g.negatives for g in groups)
    states = {(s.theorem, s.node_id): s for s in labelled_states(rows)}
    assert states[("F", 1)].positive and states[("F", 1)].kind == "dual"


def test_group_index_points_back_at_texts():
    groups, _ = build_groups(synthetic_trajectories(SyntheticSpec(theorems=15)), k=4)
    ix = index_groups(groups)
    assert len(set(ix.texts)) == len(ix.texts)
    for g, s, r in zip(groups, ix.states, ix.roots, strict=True):
        assert [ix.texts[i] for i in s] == [g.positive, *g.negatives]
        assert [ix.texts[i] for i in r] == [g.root, *g.negative_roots]
