"""Hashing encoder, embedding caches (disk and LRU) and the EbmScorer value function."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qed.core import Encoder, ValueFn, ValueQuery
from qed.value.cache import DiskEmbeddingCache, EmbeddingCacheError, LRUEmbeddings, text_key
from qed.value.ebm import GoalConditionedEnergyHead, HeadConfig
from qed.value.hashing_encoder import HashingEncoder
from qed.value.scorer import EbmScorer


class CountingEncoder:
    """Wraps an encoder and records every batch it is asked to encode."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def encode(self, texts):
        self.calls.append(list(texts))
        return self.inner.encode(texts)


def test_hashing_encoder_is_deterministic_scaled_and_similarity_aware():
    enc = HashingEncoder(128)
    assert isinstance(enc, Encoder)
    a = enc.encode(["x y : ℝ\n⊢ x + y = 2", "x y : ℝ\n⊢ x + y = 2", "n : ℕ\n⊢ Nat.factorial n > 0"])
    assert a.shape == (3, 128) and a.dtype == np.float32
    assert np.array_equal(a[0], a[1])
    assert np.linalg.norm(a[0]) == pytest.approx(np.sqrt(128), rel=1e-5)
    near = enc.encode(["x y : ℝ\n⊢ x + y = 3"])[0]
    assert np.dot(a[0], near) > np.dot(a[0], a[2])
    assert np.array_equal(HashingEncoder(128).encode(["abc"]), enc.encode(["abc"]))
    assert not np.array_equal(HashingEncoder(128, seed=1).encode(["abc"]), enc.encode(["abc"]))


def test_disk_cache_encodes_each_text_once_and_persists(tmp_path):
    enc = CountingEncoder(HashingEncoder(32))
    cache = DiskEmbeddingCache(tmp_path, encoder_id="h32", dim=32)
    texts = ["a", "b", "a", "c"]
    first = cache.embed(texts, enc, batch_size=2)
    assert sorted(t for call in enc.calls for t in call) == ["a", "b", "c"]
    assert np.array_equal(first[0], first[2])
    reopened = DiskEmbeddingCache(tmp_path, encoder_id="h32", dim=32)
    enc.calls.clear()
    again = reopened.embed(["c", "a", "d"], enc)
    assert enc.calls == [["d"]]
    assert np.array_equal(again[0], first[3]) and np.array_equal(again[1], first[0])
    assert len(list(tmp_path.glob("part-*.parquet"))) == 2
    assert "d" in reopened and text_key("d") == text_key("d") != text_key("e")


def test_disk_cache_refuses_other_encoder_and_names_corrupt_shard(tmp_path):
    DiskEmbeddingCache(tmp_path, encoder_id="h32", dim=32).embed(["a"], HashingEncoder(32))
    with pytest.raises(EmbeddingCacheError, match="holds embeddings of encoder 'h32'"):
        DiskEmbeddingCache(tmp_path, encoder_id="other", dim=32)
    shard = next(tmp_path.glob("part-*.parquet"))
    shard.write_bytes(b"not parquet at all")
    with pytest.raises(EmbeddingCacheError, match=shard.name):
        DiskEmbeddingCache(tmp_path, encoder_id="h32", dim=32)


def test_lru_evicts_least_recently_used():
    lru = LRUEmbeddings(2)
    lru.put("a", np.zeros(1))
    lru.put("b", np.ones(1))
    assert lru.get("a") is not None  # a is now most recent
    lru.put("c", np.ones(1))
    assert lru.get("b") is None and lru.get("a") is not None and len(lru) == 2


def _scorer(cache_size=1000, **kw):
    torch.manual_seed(0)
    head = GoalConditionedEnergyHead(HeadConfig(dim=32, hidden=(16, 8)))
    enc = CountingEncoder(HashingEncoder(32))
    return EbmScorer(enc, head, cache_size=cache_size, **kw), enc, head


def test_scorer_matches_head_and_encodes_distinct_texts_in_one_call():
    scorer, enc, head = _scorer(batch_size=2)
    assert isinstance(scorer, ValueFn)
    qs = [
        ValueQuery("s1", "root"),
        ValueQuery("s2", "root"),
        ValueQuery("s1", "root"),
        ValueQuery("s3", "r2"),
    ]
    energies = scorer.score(qs)
    assert len(enc.calls) == 1 and sorted(enc.calls[0]) == ["r2", "root", "s1", "s2", "s3"]
    inner = enc.inner
    for q, e in zip(qs, energies, strict=True):
        zs = torch.from_numpy(inner.encode([q.state]))
        zg = torch.from_numpy(inner.encode([q.root]))
        assert e == pytest.approx(head(zs, zg).item(), abs=1e-5)
    assert energies[0] == energies[2]
    scorer.score([ValueQuery("s2", "root")])
    assert len(enc.calls) == 1  # everything cached
    assert scorer.score([]) == []


def test_scorer_with_tiny_cache_still_scores_correctly():
    small, _, _ = _scorer(cache_size=1)
    big, _, _ = _scorer()
    qs = [ValueQuery(f"s{i}", f"r{i % 3}") for i in range(10)]
    assert small.score(qs) == pytest.approx(big.score(qs), abs=1e-6)
