"""``EbmScorer``: the value function search calls, an encoder plus an energy head.

Owns batching and the in-memory embedding cache of the scoring path: one ``score`` call
encodes each distinct text (states and root goals) not yet cached in ONE encoder call,
then runs the head once over the batch. Knows nothing about search, trees or training.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from qed.core import Encoder, ValueQuery
from qed.value.cache import LRUEmbeddings, text_key
from qed.value.ebm import GoalConditionedEnergyHead


class EbmScorer:
    """``qed.core.ValueFn``: energies of (state, root) queries, lower = more provable.

    The head runs in eval mode (no dropout, spectral-norm vectors frozen) under
    ``torch.no_grad``; embeddings are kept in a bounded LRU of ``cache_size`` texts, so a root
    goal is encoded once per search and revisited states are free.
    """

    def __init__(
        self,
        encoder: Encoder,
        head: GoalConditionedEnergyHead,
        *,
        cache_size: int = 100_000,
        batch_size: int = 256,
        device: str = "cpu",
    ):
        self.encoder, self.head = encoder, head.to(device).eval()
        self.cache = LRUEmbeddings(cache_size)
        self.batch_size, self.device = batch_size, device
        self.encoded = 0  # texts sent to the encoder so far (for tests and monitoring)

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        missing: dict[str, str] = {}
        for k, t in zip(keys, texts, strict=True):
            if self.cache.get(k) is None:
                missing.setdefault(k, t)
        fresh: dict[str, np.ndarray] = {}
        if missing:
            out = np.asarray(self.encoder.encode(list(missing.values())), dtype=np.float32)
            self.encoded += len(missing)
            fresh = dict(zip(missing, out, strict=True))
            for k, v in fresh.items():
                self.cache.put(k, v)
        # fresh first: with a cache smaller than one call's texts, entries may already be evicted
        return np.stack([fresh[k] if k in fresh else self.cache.get(k) for k in keys])

    def score(self, queries: Sequence[ValueQuery]) -> list[float]:
        """One energy per query, same order."""
        if not queries:
            return []
        both = self._vectors([q.state for q in queries] + [q.root for q in queries])
        states, roots = both[: len(queries)], both[len(queries) :]
        out: list[float] = []
        with torch.no_grad():
            for i in range(0, len(queries), self.batch_size):
                zs = torch.from_numpy(states[i : i + self.batch_size]).to(self.device)
                zg = torch.from_numpy(roots[i : i + self.batch_size]).to(self.device)
                out.extend(self.head(zs, zg).float().cpu().tolist())
        return out
