"""Embedding health metrics: does the encoder's space separate provable from unprovable states?

Owns the definitions (docs/value.md lists them) and the ``qed eval embeddings`` stage. These
metrics watch for the collapse SFT causes (LESSONS pitfall 15: centroid_l2 6.40 -> 1.33,
probe 0.83 -> 0.68). Inputs are plain arrays: ``X`` ``[n, d]`` state embeddings, ``y`` labels
(1 = positive, on a proof path), ``groups`` theorem names. Knows nothing about heads or training.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qed.core import Encoder
from qed.data.contrastive import LabelledState, dual_label_counts, labelled_states
from qed.data.trajectory import read_trajectories, split_by_theorem
from qed.eval.ebm_metrics import DEPTH_BUCKETS, depth_bucket, write_json
from qed.value.cache import DiskEmbeddingCache


def centroid_l2(X: np.ndarray, y: np.ndarray) -> float:
    """L2 distance between the mean positive and the mean negative embedding."""
    y = np.asarray(y, dtype=bool)
    if y.all() or not y.any():
        return float("nan")
    return float(np.linalg.norm(X[y].mean(axis=0) - X[~y].mean(axis=0)))


def norm_gap(X: np.ndarray, y: np.ndarray) -> float:
    """Mean L2 norm of positive embeddings minus that of negatives."""
    y = np.asarray(y, dtype=bool)
    norms = np.linalg.norm(X, axis=1)
    return float(norms[y].mean() - norms[~y].mean()) if y.any() and (~y).any() else float("nan")


def linear_probe_accuracy(
    X: np.ndarray, y: np.ndarray, groups: Sequence[str], *, folds: int = 5, seed: int = 0
) -> float:
    """Cross-validated accuracy of logistic regression predicting ``y`` from ``X``.

    Classes are balanced first (the larger is subsampled, seeded), so chance is 0.5; folds
    are ``GroupKFold`` over ``groups`` (theorem names), so no theorem is in both the fitting
    and the scoring part of a fold. Needs at least two groups.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.asarray(y, dtype=int)
    groups = np.asarray(groups)
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    n = min(len(pos), len(neg))
    if n < 2:
        return float("nan")
    keep = np.concatenate([rng.choice(pos, n, replace=False), rng.choice(neg, n, replace=False)])
    Xb, yb, gb = X[keep], y[keep], groups[keep]
    k = min(folds, len(set(gb.tolist())))
    if k < 2:
        return float("nan")
    correct = 0
    for tr, te in GroupKFold(n_splits=k).split(Xb, yb, gb):
        if len(set(yb[tr].tolist())) < 2:
            correct += int((yb[te] == yb[tr][0]).sum())
            continue
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0))
        model.fit(Xb[tr], yb[tr])
        correct += int((model.predict(Xb[te]) == yb[te]).sum())
    return correct / len(yb)


def variance_spectrum(X: np.ndarray, top: int = 10) -> dict:
    """Top eigenvalues of the covariance of ``X`` and its effective rank, ``exp`` of the entropy
    of the normalised eigenvalues (1 = all variance on one axis; d = isotropic)."""
    Xc = X - X.mean(axis=0)
    s = np.linalg.svd(Xc, compute_uv=False)
    eig = s**2 / max(1, len(X) - 1)
    p = eig / eig.sum() if eig.sum() > 0 else eig
    p = p[p > 0]
    return {
        "top_eigenvalues": [float(v) for v in eig[:top]],
        "effective_rank": float(np.exp(-(p * np.log(p)).sum())) if p.size else 0.0,
        "eigenvalues": eig,
    }


def sibling_distances(
    X: np.ndarray, states: Sequence[LabelledState], seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """L2 distances of (positive, sibling) pairs, and of as many random (positive, negative)
    pairs across theorems as a reference."""
    by_parent: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, s in enumerate(states):
        if not s.positive:
            by_parent[(s.theorem, s.parent_id)].append(i)
    sib = [
        float(np.linalg.norm(X[i] - X[j]))
        for i, s in enumerate(states)
        if s.kind == "positive"
        for j in by_parent.get((s.theorem, s.parent_id), [])
    ]
    pos = [i for i, s in enumerate(states) if s.positive]
    neg = [i for i, s in enumerate(states) if not s.positive]
    rng = np.random.default_rng(seed)
    rand = []
    if pos and neg:
        for _ in range(max(len(sib), 100)):
            i, j = pos[rng.integers(len(pos))], neg[rng.integers(len(neg))]
            if states[i].theorem != states[j].theorem:
                rand.append(float(np.linalg.norm(X[i] - X[j])))
    return np.asarray(sib), np.asarray(rand)


def depth_clustering(X: np.ndarray, y: np.ndarray, depths: Sequence[int], seed: int = 0) -> dict:
    """Per depth bucket: centroid_l2 and silhouette score of the positive/negative labels
    (cosine-free, Euclidean; at most 2000 points per bucket). ``None`` where a bucket lacks a class."""
    from sklearn.metrics import silhouette_score

    y = np.asarray(y, dtype=bool)
    buckets = np.array([depth_bucket(int(d)) for d in depths])
    out = {}
    for b in DEPTH_BUCKETS:
        m = buckets == b
        if not (y[m].any() and (~y[m]).any()) or m.sum() < 3:
            out[b] = {"states": int(m.sum()), "centroid_l2": None, "silhouette": None}
            continue
        idx = np.flatnonzero(m)
        if len(idx) > 2000:
            idx = np.random.default_rng(seed).choice(idx, 2000, replace=False)
        out[b] = {
            "states": int(m.sum()),
            "centroid_l2": centroid_l2(X[m], y[m]),
            "silhouette": float(silhouette_score(X[idx], y[idx].astype(int))),
        }
    return out


def embedding_metrics(
    X: np.ndarray, states: Sequence[LabelledState], *, folds: int = 5, seed: int = 0
) -> dict:
    """All embedding metrics for ``X[i]`` = embedding of ``states[i].state``."""
    y = np.array([s.positive for s in states], dtype=bool)
    groups = [s.theorem for s in states]
    spectrum = variance_spectrum(X)
    sib, rand = sibling_distances(X, states, seed)
    return {
        "states": len(states),
        "positives": int(y.sum()),
        "centroid_l2": centroid_l2(X, y),
        "linear_probe_accuracy": linear_probe_accuracy(X, y, groups, folds=folds, seed=seed),
        "norm_gap": norm_gap(X, y),
        "sibling_l2": float(sib.mean()) if sib.size else None,
        "random_pair_l2": float(rand.mean()) if rand.size else None,
        "top_eigenvalues": spectrum["top_eigenvalues"],
        "effective_rank": spectrum["effective_rank"],
        "depth_clustering": depth_clustering(X, y, [s.depth for s in states], seed),
    }


def evaluate_embeddings(
    trajectories: Path,
    embeddings_dir: Path,
    encoder: Encoder,
    encoder_id: str,
    dim: int,
    out_dir: Path,
    *,
    split: str = "all",
    val_fraction: float = 0.2,
    seed: int = 0,
    max_states: int = 5000,
    tsne: bool = True,
) -> dict:
    """``qed eval embeddings``: metrics and plots of the encoder's state embeddings of the
    labelled states of ``trajectories`` (at most ``max_states``, sampled by theorem-stable seed).
    Writes PNGs, then ``metrics.json`` last, into ``out_dir``."""
    from qed.eval import plots

    rows = read_trajectories(trajectories)
    if split != "all":
        train, val = split_by_theorem({r.theorem for r in rows}, val_fraction, seed)
        names = {"train": train, "val": val}.get(split)
        if names is None:
            raise ValueError(f"unknown split '{split}': expected all, train or val")
        rows = [r for r in rows if r.theorem in names]
    states = labelled_states(rows)
    if len(states) > max_states:
        pick = np.sort(np.random.default_rng(seed).choice(len(states), max_states, replace=False))
        states = [states[i] for i in pick]
    if not any(s.positive for s in states) or all(s.positive for s in states):
        raise ValueError(f"{trajectories}: need both positive and negative states (split '{split}')")
    cache = DiskEmbeddingCache(embeddings_dir, encoder_id=encoder_id, dim=dim)
    X = cache.embed([s.state for s in states], encoder).astype(np.float64)
    metrics = embedding_metrics(X, states, seed=seed)
    dual, labelled = dual_label_counts(rows)
    metrics |= {
        "dual_label_rate": dual / labelled if labelled else 0.0,
        "split": split,
        "encoder": encoder_id,
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    y = np.array([s.positive for s in states])
    depths = np.array([s.depth for s in states])
    sib, rand = sibling_distances(X, states, seed)
    plots.sibling_histogram(sib, rand, out_dir / "sibling_distances.png")
    plots.eigen_spectrum(variance_spectrum(X)["eigenvalues"], out_dir / "eigen_spectrum.png")
    if tsne:
        plots.tsne(X, y, depths, out_dir / "tsne.png", seed=seed)
    write_json(out_dir / "metrics.json", metrics)
    return metrics
