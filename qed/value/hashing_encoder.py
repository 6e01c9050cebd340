"""A cheap deterministic text encoder: hashed word and character n-gram features.

A BASELINE AND TEST ENCODER, NOT A MODEL: it has no parameters to train and understands
nothing about Lean. It exists so the value pipeline (embedding cache, head training,
metrics, the planted-signal demo) runs anywhere in seconds, and as the floor a real
encoder (mean-pooled backbone hidden states) must beat.

Features of a text: each whitespace token and each character n-gram (default n = 3, over
the text padded with spaces) is hashed with CRC-32 (seeded) to one of ``dim`` buckets and a
sign (the "hashing trick", a random +-1 projection of the bag of n-grams); counts are
damped with log1p and the vector is scaled to L2 norm ``scale`` (default ``sqrt(dim)``: unit
RMS per coordinate, the scale of normalised hidden states). The scale matters: the
spectrally normalised head is 0.1-Lipschitz in its input, so unit-norm embeddings could
never reach confident energies and the temperature would be driven to its floor. Same
text, same vector, on every machine and Python version (no use of Python's salted ``hash``).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np


class HashingEncoder:
    """``qed.core.Encoder``: texts -> ``float32`` array ``[len(texts), dim]``."""

    def __init__(self, dim: int = 256, *, ngram: int = 3, seed: int = 0, scale: float | None = None):
        if dim < 2 or ngram < 1:
            raise ValueError(f"need dim >= 2 and ngram >= 1, got dim={dim}, ngram={ngram}")
        self.dim, self.ngram, self.seed = dim, ngram, seed
        self.scale = float(np.sqrt(dim)) if scale is None else float(scale)
        self._salt = zlib.crc32(f"qed-hashing-{seed}".encode())

    @property
    def id(self) -> str:
        """Identifies the embedding space: vectors from encoders with equal ids are comparable."""
        return f"hashing-v1-d{self.dim}-n{self.ngram}-s{self.seed}-x{self.scale:.4g}"

    def _grams(self, text: str) -> list[str]:
        padded = f" {text} "
        n = self.ngram
        grams = ["w:" + t for t in text.split()]
        grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
        return grams

    def encode_one(self, text: str) -> np.ndarray:
        counts: dict[int, float] = {}
        for g in self._grams(text):
            h = zlib.crc32(g.encode("utf-8"), self._salt)
            idx = h % self.dim
            sign = 1.0 if (h // self.dim) & 1 else -1.0
            counts[idx] = counts.get(idx, 0.0) + sign
        v = np.zeros(self.dim, dtype=np.float32)
        for idx, c in counts.items():
            v[idx] = np.sign(c) * np.log1p(abs(c))
        norm = float(np.linalg.norm(v))
        return v * (self.scale / norm) if norm > 0 else v

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, same order."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = self.encode_one(t)
        return out
