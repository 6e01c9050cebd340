"""Embedding metrics on synthetic data with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from qed.data.contrastive import LabelledState
from qed.eval.embedding_metrics import (
    centroid_l2,
    depth_clustering,
    embedding_metrics,
    linear_probe_accuracy,
    norm_gap,
    sibling_distances,
    variance_spectrum,
)


def _clusters(n=200, d=16, shift=0.0, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2 == 0
    X = rng.normal(size=(n, d))
    X[y, 0] += shift
    groups = [f"t{i // 4}" for i in range(n)]
    return X, y, groups


def test_well_separated_clusters_probe_near_one_and_large_centroid_distance():
    X, y, g = _clusters(shift=8.0)
    assert linear_probe_accuracy(X, y, g) > 0.97
    assert centroid_l2(X, y) == pytest.approx(8.0, abs=0.6)


def test_identical_distributions_probe_near_half_and_small_centroid_distance():
    X, y, g = _clusters(n=400, shift=0.0, seed=1)
    assert abs(linear_probe_accuracy(X, y, g) - 0.5) < 0.1
    assert centroid_l2(X, y) < 0.6


def test_probe_balances_classes_so_majority_guessing_gives_half():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 8))
    y = np.zeros(300, dtype=bool)
    y[:30] = True  # 10% positives: an unbalanced probe would score 0.9 by guessing "negative"
    acc = linear_probe_accuracy(X, y, [f"t{i % 20}" for i in range(300)])
    assert abs(acc - 0.5) < 0.15


def test_probe_folds_are_split_by_theorem():
    # each theorem has its own random offset and a single label: memorising theorems would score
    # high under a pair-level split, but GroupKFold never scores a theorem it has fitted on
    rng = np.random.default_rng(3)
    X, y, g = [], [], []
    for t in range(40):
        centre = rng.normal(size=8) * 5
        label = bool(rng.integers(2))
        for _ in range(10):
            X.append(centre + rng.normal(size=8) * 0.1)
            y.append(label)
            g.append(f"t{t}")
    acc = linear_probe_accuracy(np.array(X), np.array(y), g)
    assert acc < 0.8


def test_norm_gap_and_variance_spectrum():
    X, y, _ = _clusters(shift=0.0)
    X[y] *= 3
    assert norm_gap(X, y) > 5
    iso = variance_spectrum(np.random.default_rng(0).normal(size=(2000, 10)))
    assert iso["effective_rank"] == pytest.approx(10, abs=0.5)
    line = np.outer(np.random.default_rng(1).normal(size=500), np.ones(10))
    assert variance_spectrum(line)["effective_rank"] == pytest.approx(1.0, abs=0.01)
    assert iso["top_eigenvalues"][0] >= iso["top_eigenvalues"][-1]


def _states():
    """Theorem T: parent 0 has positive p (node 1) and siblings 2, 3; other negatives elsewhere."""
    s = []
    for t in range(6):
        s.append(LabelledState(f"T{t}", 1, 0, 1, f"p{t}", "r", True, "positive"))
        s.append(LabelledState(f"T{t}", 2, 0, 1, f"s{t}a", "r", False, "sibling"))
        s.append(LabelledState(f"T{t}", 3, 0, 1, f"s{t}b", "r", False, "sibling"))
        s.append(LabelledState(f"T{t}", 4, 2, 4, f"d{t}", "r", False, "dead_end"))
    return s


def test_sibling_distances_pair_each_positive_with_its_siblings():
    states = _states()
    X = np.zeros((len(states), 2))
    for i, st in enumerate(states):
        X[i] = [1.0, 0.0] if st.kind == "sibling" else [0.0, 0.0] if st.positive else [10.0, 0.0]
    sib, rand = sibling_distances(X, states)
    assert sib.size == 12 and np.allclose(sib, 1.0)
    assert rand.size > 0 and rand.mean() > 1.0


def test_depth_clustering_reports_per_bucket():
    states = _states()
    X = np.array([[5.0 if s.positive else 0.0, float(i % 3)] for i, s in enumerate(states)])
    y = np.array([s.positive for s in states])
    out = depth_clustering(X, y, [s.depth for s in states])
    assert out["1"]["centroid_l2"] == pytest.approx(5.0)
    assert out["1"]["silhouette"] > 0.5
    assert out["4+"]["centroid_l2"] is None  # only negatives at depth 4


def test_embedding_metrics_bundle_has_every_metric():
    states = _states()
    X = np.random.default_rng(0).normal(size=(len(states), 6))
    m = embedding_metrics(X, states, folds=3)
    for key in (
        "centroid_l2",
        "linear_probe_accuracy",
        "norm_gap",
        "sibling_l2",
        "top_eigenvalues",
        "effective_rank",
        "depth_clustering",
    ):
        assert key in m
    assert m["states"] == 24 and m["positives"] == 6
