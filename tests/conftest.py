"""Shared test fixtures: offline mode, and the location of ../shared beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared (data and Lean transcripts) is not beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def minif2f_v1(shared_dir: Path) -> Path:
    path = shared_dir / "data" / "minif2f" / "minif2f_v1.jsonl"
    if not path.exists():
        pytest.skip(f"{path.name} missing from ../shared/data/minif2f")
    return path


@pytest.fixture(scope="session")
def theorems():
    """The first 40 miniF2F v1 theorems (shipped copy)."""
    from qed.data.benchmarks import load_benchmark

    return load_benchmark("minif2f_v1")[:40]


@pytest.fixture(scope="session")
def tiny(theorems):
    """A tiny random Qwen2 model and tokenizer, built once per session (hidden 32, vocabulary 500)."""
    from qed.policy.models import ModelSize, init_model, train_tokenizer

    size = ModelSize(vocab_size=500, hidden_size=32, layers=2, heads=4, kv_heads=2, intermediate_size=64,
                     max_positions=1024)
    corpus = [t.header + t.statement + "\n" + (t.goal or "") for t in theorems]
    extra = ["linarith\nnorm_num\nnlinarith [sq_nonneg (a - b)]\n```"]
    tok = train_tokenizer(corpus + extra, size.vocab_size)
    model = init_model(size, tok, seed=0)
    model.eval()
    return model, tok
