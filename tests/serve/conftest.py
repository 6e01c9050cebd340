"""A tiny random Qwen2 model and tokenizer, built once per session (hidden 32, vocabulary 500)."""

from __future__ import annotations

import pytest

from qed.data.benchmarks import load_benchmark
from qed.policy.models import ModelSize, init_model, train_tokenizer

TINY = ModelSize(vocab_size=500, hidden_size=32, layers=2, heads=4, kv_heads=2, intermediate_size=64,
                 max_positions=1024)


@pytest.fixture(scope="session")
def theorems():
    return load_benchmark("minif2f_v1")[:40]


@pytest.fixture(scope="session")
def tiny(theorems):
    corpus = [t.header + t.statement + "\n" + (t.goal or "") for t in theorems]
    extra = ["linarith\nnorm_num\nnlinarith [sq_nonneg (a - b)]\n```"]
    tok = train_tokenizer(corpus + extra, TINY.vocab_size)
    model = init_model(TINY, tok, seed=0)
    model.eval()
    return model, tok
