"""``qed prove`` end to end through the real CLI: outputs, proofs that `qed check` accepts,
SIGKILL then resume, ``--compare llm-only``, clear errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qed.cli.main import app
from qed.eval.prove import read_records

runner = CliRunner()
QED = Path(sys.executable).with_name("qed")


def prove_args(runs: Path, *extra: str) -> list[str]:
    return ["prove", "minif2f_v1", "policy=scripted", f"search.runs_dir={runs}", *extra]


@pytest.mark.slow
def test_prove_writes_outputs_and_every_proof_rechecks(tmp_path):
    res = runner.invoke(
        app, prove_args(tmp_path, "search.max_expansions=20", "--name", "small", "--limit", "60")
    )
    assert res.exit_code == 0, res.output
    root = tmp_path / "small"
    for name in (
        "config.yaml",
        "results.jsonl",
        "proofs.jsonl",
        "trajectories.parquet",
        "summary.json",
        "DONE",
    ):
        assert (root / name).exists(), name
    assert "git revision" in (root / "config.yaml").read_text()
    summary = json.loads((root / "summary.json").read_text())
    assert summary["theorems"] == 60 and summary["proved"] > 0 and summary["unsupported"] > 0
    assert "rate" in res.output and "95% CI" in res.output and "aime" in res.output
    files = sorted((root / "proofs").glob("*.lean"))
    assert len(files) == summary["proved"]
    for f in files:
        check = runner.invoke(app, ["check", str(f)])
        assert check.exit_code == 0 and "1/1 proofs check" in check.output, (f.name, check.output)


@pytest.mark.slow
def test_killed_run_resumes_without_duplicates(tmp_path):
    args = [
        str(QED),
        *prove_args(
            tmp_path, "search.max_expansions=60", "search.concurrency=2", "--name", "k", "--limit", "40"
        ),
    ]
    results = tmp_path / "k" / "results.jsonl"
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300  # generous: a loaded machine starts slowly
        while time.monotonic() < deadline:
            if results.exists() and results.read_text().count("\n") >= 8:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    first = read_records(results)
    assert 8 <= len(first) < 40, "the run must be killed part-way"
    assert not (tmp_path / "k" / "DONE").exists()
    again = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    records = read_records(results)
    names = [r["name"] for r in records]
    assert len(names) == len(set(names)) == 40
    assert results.read_text().count("\n") == 40
    assert {r["name"]: r["status"] for r in first}.items() <= {
        r["name"]: r["status"] for r in records
    }.items()
    proofs = [json.loads(x)["name"] for x in (tmp_path / "k" / "proofs.jsonl").read_text().splitlines()]
    assert sorted(proofs) == sorted(r["name"] for r in records if r["status"] == "proved")
    assert (tmp_path / "k" / "DONE").exists()


@pytest.mark.slow
def test_compare_llm_only_runs_both_arms(tmp_path):
    res = runner.invoke(
        app,
        prove_args(
            tmp_path, "search.max_expansions=10", "--name", "cmp", "--limit", "25", "--compare", "llm-only"
        ),
    )
    assert res.exit_code == 0, res.output
    table = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert set(table) == {"llm-only", "configured"}
    assert (tmp_path / "cmp" / "llm-only" / "DONE").exists() and (tmp_path / "cmp" / "DONE").exists()
    assert "comparison at the same budget" in res.output


@pytest.mark.slow
def test_clear_errors(tmp_path):
    res = runner.invoke(app, ["prove", "no_such_bench", f"search.runs_dir={tmp_path}"])
    assert res.exit_code == 2 and "not found" in res.output
    res = runner.invoke(app, ["prove", "minif2f_v1", f"search.runs_dir={tmp_path}", "--limit", "1"])
    assert res.exit_code == 2 and "policy.model" in res.output
    res = runner.invoke(
        app, prove_args(tmp_path, "value=ebm", "search.ebm_dir=" + str(tmp_path / "none"), "--name", "e")
    )
    assert res.exit_code == 2 and "energy head" in res.output
    ok = runner.invoke(app, prove_args(tmp_path, "--name", "same", "--limit", "2", "search.max_expansions=2"))
    assert ok.exit_code == 0, ok.output
    res = runner.invoke(
        app, prove_args(tmp_path, "--name", "same", "--limit", "2", "search.max_expansions=3")
    )
    assert res.exit_code == 2 and "different settings" in res.output
