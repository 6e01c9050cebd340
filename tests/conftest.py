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
