"""Image data, classification by energy and sample grids for the image prototype.

Owns: the embedded default data set (scikit-learn's 8x8 digits, no download), a reader of
MNIST's IDX files (plain or gzip; parsed here, no torchvision), a seeded train/test split,
classification by energy (``argmin_c E(x, c)``) and PNG grids of images. Images are float
tensors ``[N, 1, H, W]`` in [0, 1] with ``long`` labels ``[N]``. Knows nothing about how the
energy was trained or how samples were drawn.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass(frozen=True)
class ImageData:
    """A labelled image set split into train and test parts."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: int

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])  # type: ignore[return-value]


def read_idx(path: str | Path) -> np.ndarray:
    """The array in an IDX file (``.gz`` read transparently). Raises ``ValueError`` when malformed."""
    path = Path(path)
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic)")
    kind, ndim = raw[2], raw[3]
    if kind not in _IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX element type 0x{kind:02x}")
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[kind])
    count = int(np.prod(dims)) if dims else 1
    body = raw[4 + 4 * ndim :]
    if len(body) != count * dtype.itemsize:
        raise ValueError(f"{path}: expected {count * dtype.itemsize} data bytes for {dims}, got {len(body)}")
    return np.frombuffer(body, dtype=dtype).reshape(dims)


def _find(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (directory / name).exists():
            return directory / name
    raise FileNotFoundError(f"{directory}: no {stem} (or {stem}.gz); MNIST's four IDX files go here")


def load_mnist(directory: str | Path, *, limit: int = 0) -> ImageData:
    """MNIST from the four IDX files in ``directory`` (first ``limit`` of each split, 0 = all)."""
    directory = Path(directory)
    parts = []
    for split in ("train", "test"):
        images, labels = (read_idx(_find(directory, s)) for s in MNIST_FILES[split])
        if images.ndim != 3 or labels.shape != images.shape[:1]:
            raise ValueError(f"{directory}: {split} images {images.shape} and labels {labels.shape} disagree")
        if limit:
            images, labels = images[:limit], labels[:limit]
        x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
        parts += [x, torch.from_numpy(labels.astype(np.int64))]
    return ImageData("mnist", *parts, classes=10)


def load_digits_data(*, test_fraction: float = 0.2, seed: int = 0) -> ImageData:
    """scikit-learn's 1,797 8x8 digits scaled to [0, 1], split at random (seeded)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.from_numpy((d.images / 16.0).astype(np.float32)).unsqueeze(1)
    y = torch.from_numpy(d.target.astype(np.int64))
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_test = int(round(test_fraction * len(y)))
    test, train = perm[:n_test], perm[n_test:]
    return ImageData("digits", x[train], y[train], x[test], y[test], classes=10)


def class_energies(model, x: torch.Tensor, classes: int, *, batch_size: int = 512) -> torch.Tensor:
    """``[N, classes]`` energies ``E(x_i, c)`` at noise level 0, without gradients."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, x.shape[0], batch_size):
            xb = x[i : i + batch_size]
            n = xb.shape[0]
            rep = xb.repeat_interleave(classes, dim=0)
            labels = torch.arange(classes).repeat(n)
            out.append(model(rep, labels, None).view(n, classes))
    return torch.cat(out) if out else torch.zeros(0, classes)


def energy_accuracy(model, x: torch.Tensor, y: torch.Tensor, classes: int) -> float:
    """Fraction of images whose lowest-energy class is their label."""
    if len(y) == 0:
        return float("nan")
    pred = class_energies(model, x, classes).argmin(dim=1)
    return float((pred == y).float().mean())


def save_grid(images: torch.Tensor, path: str | Path, *, rows: int, title: str = "") -> Path:
    """Write ``images`` ``[N, 1, H, W]`` as a ``rows``-row grid PNG (row-major)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    imgs = images.detach().cpu().clamp(0, 1).numpy()[:, 0]
    n = imgs.shape[0]
    cols = max(1, -(-n // rows))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.8, rows * 0.8 + (0.4 if title else 0)))
    axes = np.atleast_2d(axes)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(imgs[i], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    if title:
        fig.suptitle(title, fontsize=9)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path
