"""``qed demo`` (what ``make demo`` runs) end to end: every stage, both comparisons, resumable."""

import json
import subprocess
import sys

import pytest

from qed.core import Theorem
from qed.data.benchmarks import load_benchmark
from qed.env.check import check_proof
from qed.env.sandbox.env import SandboxEnv


@pytest.mark.slow
def test_demo_runs_every_stage_and_its_proofs_recheck(tmp_path):
    cmd = [sys.executable, "-m", "qed", "demo", f"search.runs_dir={tmp_path}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    root = tmp_path / "demo"
    for name in ("eval_minif2f_test", "eval_heldout"):
        table = json.loads((root / name / "compare.json").read_text())
        assert set(table) == {"llm-only", "configured"}
        assert table["llm-only"]["attempted"] == table["configured"]["attempted"] > 0
    assert "proof rate at the same budget" in proc.stdout
    # the policy learned something: it proves some miniF2F test statements in the sandbox
    tested = json.loads((root / "eval_minif2f_test" / "compare.json").read_text())
    assert tested["configured"]["proved"] > 0
    # every proof it wrote re-checks
    env = SandboxEnv()
    by_name = {t.name: t for t in load_benchmark("minif2f_v1")}
    lines = (root / "eval_minif2f_test" / "configured" / "proofs.jsonl").read_text().splitlines()
    for line in lines:
        rec = json.loads(line)
        thm = by_name[rec["name"]]
        assert check_proof(env, Theorem(thm.name, thm.statement), "\n" + rec["proof"]).ok, rec
    # a second run resumes: every stage is skipped
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0
    assert "$ qed" not in again.stdout and "skip (done)" in again.stdout
