"""PNG plots of value-model health: t-SNE of embeddings, sibling-distance histograms,
eigenvalue spectra, energy histograms.

Owns figure layout only; every function takes arrays and a path, writes one PNG with the
Agg backend (no display needed), and returns the path. Knows nothing about how the arrays
were computed. matplotlib and scikit-learn are imported inside the functions, so importing
this module costs nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def tsne(
    X: np.ndarray,
    positive: np.ndarray,
    depths: np.ndarray,
    path: Path,
    *,
    seed: int = 0,
    max_points: int = 1000,
) -> Path:
    """2-D t-SNE of ``X`` (at most ``max_points``, sampled), coloured by label and by depth."""
    from sklearn.manifold import TSNE

    plt = _plt()
    rng = np.random.default_rng(seed)
    idx = (
        np.arange(len(X)) if len(X) <= max_points else np.sort(rng.choice(len(X), max_points, replace=False))
    )
    Xs, ys, ds = X[idx], np.asarray(positive, dtype=bool)[idx], np.minimum(np.asarray(depths)[idx], 4)
    perplexity = float(min(30, max(2, (len(Xs) - 1) // 3)))
    tsne_model = TSNE(n_components=2, perplexity=perplexity, init="pca", max_iter=500, random_state=seed)
    emb = tsne_model.fit_transform(Xs)
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 5.5))
    a.scatter(*emb[~ys].T, s=6, alpha=0.5, c="tab:red", label="negative")
    a.scatter(*emb[ys].T, s=8, alpha=0.8, c="tab:blue", label="positive (proof path)")
    a.set_title("t-SNE by label")
    a.legend(loc="best", markerscale=2)
    sc = b.scatter(*emb.T, s=6, alpha=0.7, c=ds, cmap="viridis")
    cb = fig.colorbar(sc, ax=b)
    cb.set_label("depth (4 = 4+)")
    b.set_title("t-SNE by depth")
    for ax in (a, b):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def sibling_histogram(sibling: np.ndarray, random_pairs: np.ndarray, path: Path) -> Path:
    """Histograms of (positive, sibling) and random cross-theorem pair L2 distances."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    both = np.concatenate([sibling, random_pairs]) if sibling.size + random_pairs.size else np.zeros(1)
    bins = np.linspace(float(both.min()), float(both.max()) + 1e-9, 40)
    if sibling.size:
        ax.hist(sibling, bins=bins, alpha=0.6, density=True, label=f"positive-sibling (n={sibling.size})")
    if random_pairs.size:
        ax.hist(
            random_pairs, bins=bins, alpha=0.6, density=True, label=f"random pairs (n={random_pairs.size})"
        )
    ax.set_xlabel("L2 distance")
    ax.set_ylabel("density")
    ax.set_title("sibling distances")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def eigen_spectrum(eigenvalues: np.ndarray, path: Path, top: int = 100) -> Path:
    """Covariance eigenvalues (log scale) and cumulative explained variance."""
    plt = _plt()
    eig = np.asarray(eigenvalues, dtype=float)[:top]
    total = float(np.sum(eigenvalues)) or 1.0
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.semilogy(np.arange(1, eig.size + 1), np.maximum(eig, 1e-12), "o-", ms=3)
    ax.set_xlabel("component")
    ax.set_ylabel("eigenvalue")
    ax2 = ax.twinx()
    ax2.plot(np.arange(1, eig.size + 1), np.cumsum(eig) / total, color="tab:orange")
    ax2.set_ylabel("cumulative explained variance")
    ax2.set_ylim(0, 1.02)
    ax.set_title("variance spectrum of state embeddings")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def energy_histogram(
    positive: np.ndarray, negative: np.ndarray, path: Path, *, title: str = "energies"
) -> Path:
    """Overlaid histograms of positive and negative energies (lower = more provable)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    both = np.concatenate([positive, negative])
    bins = np.linspace(float(both.min()), float(both.max()) + 1e-9, 50)
    ax.hist(
        negative, bins=bins, alpha=0.6, density=True, color="tab:red", label=f"negatives (n={negative.size})"
    )
    ax.hist(
        positive, bins=bins, alpha=0.6, density=True, color="tab:blue", label=f"positives (n={positive.size})"
    )
    ax.set_xlabel("energy")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
