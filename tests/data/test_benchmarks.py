import hashlib
import json
from pathlib import Path

import pytest

from qed.data.benchmarks import BenchmarkError, load_benchmark, resolve, shipped_benchmarks


def test_shipped_minif2f_loads_with_recorded_goals():
    theorems = load_benchmark("minif2f_v1")
    assert len(theorems) == 488
    assert {t.split for t in theorems} == {"valid", "test"}
    assert all(t.statement.rstrip().endswith(":= by") for t in theorems)
    assert all(t.goal and "⊢" in t.goal for t in theorems)
    assert len(load_benchmark("minif2f_v1", split="test")) == 244


def test_shipped_copy_is_the_shared_data_byte_for_byte(minif2f_dir, minif2f_sha256):
    """The shipped copies hash to the recorded SHA-256 of shared/data/minif2f (tests/fixtures/README.md);
    when ../shared is beside the checkout, its files hash the same."""
    for name, digest in minif2f_sha256.items():
        assert hashlib.sha256((minif2f_dir / name).read_bytes()).hexdigest() == digest, name
        beside = Path(__file__).resolve().parents[3] / "shared" / "data" / "minif2f" / name
        if beside.exists():
            assert hashlib.sha256(beside.read_bytes()).hexdigest() == digest, beside
    assert "minif2f_v1" in shipped_benchmarks()


def test_unknown_benchmark_names_the_known_ones():
    with pytest.raises(BenchmarkError, match="minif2f_v1"):
        resolve("no_such_bench")


def test_malformed_rows_are_reported_with_file_and_line(tmp_path):
    good = {"name": "a", "formal_statement": "theorem a : True := by"}
    p = tmp_path / "b.jsonl"
    p.write_text(json.dumps(good) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(BenchmarkError, match=r"b.jsonl:2: invalid JSON"):
        load_benchmark(p)
    p.write_text(json.dumps(good) + "\n" + json.dumps({"name": "b"}) + "\n", encoding="utf-8")
    with pytest.raises(BenchmarkError, match=r":2: field 'formal_statement': missing"):
        load_benchmark(p)
    p.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n", encoding="utf-8")
    with pytest.raises(BenchmarkError, match="duplicate theorem name 'a'"):
        load_benchmark(p)
