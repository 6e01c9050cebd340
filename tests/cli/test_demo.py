"""``qed demo`` (what ``make demo`` runs) = ``qed iterate experiment=sandbox_tiny`` end to end.

Every stage runs, the report's sections hold measured numbers, the proofs re-check, the deep
benchmark comparison prints the headroom and each arm's share of it, a rerun resumes with every
stage skipped.
"""

import json
import re
import subprocess
import sys

import pytest

from qed.core import Theorem
from qed.data.benchmarks import load_benchmark
from qed.env.check import check_proof
from qed.env.sandbox.env import SandboxEnv


@pytest.mark.slow
@pytest.mark.timeout(4000)
def test_demo_runs_both_iterations_reports_a_b_c_and_its_proofs_recheck(tmp_path):
    cmd = [sys.executable, "-m", "qed", "demo", f"search.runs_dir={tmp_path}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3000)  # generous: CI may be loaded
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    root = tmp_path / "sandbox_tiny"
    assert (root / "config.yaml").exists()
    for k in (0, 1):
        assert (root / f"iter_{k}" / "DONE").exists()
    m = json.loads((root / "iter_1" / "eval" / "metrics.json").read_text())
    for name in ("B", "C", "llm-only (iter 1)"):
        assert m["proof_rates"][name]["attempted"] > 0
    assert m["A"]["proof_rate"]["attempted"] == m["proof_rates"]["C"]["attempted"]
    for key in ("centroid_l2", "linear_probe_accuracy", "ebm_rank1"):
        assert m["encoder"][key] is not None and m["A"]["encoder"][key] is not None
    assert all(v is not None for v in m["deltas"]["A→B"].values())
    report = (root / "iter_1" / "eval" / "report.md").read_text()
    for section in ("Held-out proof rate", "Encoder and EBM metrics", "Joint training", "Comparisons"):
        assert f"## {section}" in report
    assert re.search(r"\| A→C \| total \| [+-]\d", report)
    assert "expert iteration: held-out proof rate" in proc.stdout and "report:" in proc.stdout
    # the iteration-0 policy learned something: it proves some held-out theorems, and every proof re-checks
    held = {t.name: t for t in load_benchmark(root / "data" / "heldout.jsonl")}
    assert m["A"]["proof_rate"]["proved"] + m["proof_rates"]["C"]["proved"] > 0
    env = SandboxEnv()
    for arm in ("configured", "llm-only"):
        for line in (root / "iter_1" / "eval" / "C" / arm / "proofs.jsonl").read_text().splitlines():
            rec = json.loads(line)
            thm = held[rec["name"]]
            assert check_proof(env, Theorem(thm.name, thm.statement), "\n" + rec["proof"]).ok, rec
    # the deep-benchmark comparison: every arm measured on every held-out theorem, headroom and shares printed
    deep = root / "deep_compare"
    summary = json.loads((deep / "summary.json").read_text())
    assert summary["theorems"] == 40 and summary["seeds"] == [0]
    assert set(summary["arms"]) == {"llm_only", "soft_norm", "ebm", "ebm_alpha1", "oracle"}
    top = summary["budgets"]["64"]
    assert top["headroom_points"] == pytest.approx(100 * (top["oracle"]["rate"] - top["llm_only"]["rate"]))
    line = r"headroom at budget 64: -?\d+\.\d points .*share of it closed: soft_norm -?\d+%"
    assert re.search(line, proc.stdout)
    assert (deep / "report.md").exists() and (deep / "curves.png").stat().st_size > 0
    # a second run resumes: every stage is skipped
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0
    assert "▶ stage" not in again.stdout
    assert "skip (done): iter_1" in again.stdout and "skip (done): deep_compare" in again.stdout
