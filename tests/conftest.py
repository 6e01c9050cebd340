"""Shared test fixtures: offline mode, and the data the tests read (copies inside the repository).

Nothing here reads ``../shared``: the tests pass the same in a fresh clone with or without it
(tests/fixtures/README.md says where each copy comes from).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
MINIF2F = REPO / "qed" / "data" / "benchmarks"
# SHA-256 of shared/data/minif2f/* when they were copied (tests/fixtures/README.md)
MINIF2F_SHA256 = {
    "minif2f_v1.jsonl": "72a0d710392c07d06fa392ae511f4b8c744b4ce226eaa904c9ff2c00f29af21d",
    "minif2f_v1_goals.jsonl": "78a39b98a617a0e1c88d3641552e95dd1885fae161ddd99e236dfe7057a10a44",
}


@pytest.fixture(scope="session")
def minif2f_dir() -> Path:
    """The folder holding ``minif2f_v1.jsonl`` and ``minif2f_v1_goals.jsonl`` (shipped copies)."""
    for name in MINIF2F_SHA256:
        assert (MINIF2F / name).is_file(), f"{MINIF2F / name} is missing from the checkout"
    return MINIF2F


@pytest.fixture(scope="session")
def minif2f_sha256() -> dict[str, str]:
    """SHA-256 of ``shared/data/minif2f/NAME`` when the shipped copies were made."""
    return dict(MINIF2F_SHA256)


@pytest.fixture(scope="session")
def minif2f_v1(minif2f_dir: Path) -> Path:
    return minif2f_dir / "minif2f_v1.jsonl"


@pytest.fixture(scope="session")
def shared_dir(minif2f_dir: Path, tmp_path_factory) -> Path:
    """A folder laid out like ``shared/`` (``data/minif2f/…``, ``lean/transcripts``) built from the
    copies inside the repository: the tests that were written against ``../shared`` read it."""
    root = tmp_path_factory.mktemp("shared")
    (root / "data" / "minif2f").mkdir(parents=True)
    for name in MINIF2F_SHA256:
        (root / "data" / "minif2f" / name).symlink_to(minif2f_dir / name)
    (root / "lean").mkdir()
    (root / "lean" / "transcripts").symlink_to(FIXTURES / "lean" / "transcripts")
    return root


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skip outside the ``lean`` and ``gpu`` tiers is a failure: no test skips silently.

    The lean and gpu tiers are deselected by marker where Lean or CUDA are absent
    (``-m "not lean and not gpu"``), never skipped.
    """
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        if not any(item.iter_markers("lean")) and not any(item.iter_markers("gpu")):
            report.outcome = "failed"
            report.longrepr = f"skipped outside the lean/gpu tiers (not allowed): {report.longrepr}"
