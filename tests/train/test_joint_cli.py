"""``qed train joint`` end to end through the real CLI, then its outputs in ``qed prove`` as the policy
(base + adapter) and the value model (``value=ebm ebm.encoder.kind=hf``); and a monitor abort exits 3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qed.data.synthetic import SyntheticSpec, synthetic_trajectories
from qed.data.trajectory import write_trajectories

TINY = ["joint.max_steps=4", "joint.eval_every=2", "joint.save_every=2", "joint.lora_r=4",
        "joint.lora_alpha=8", "joint.sft_batch=4", "joint.groups_per_step=2", "joint.k_negatives=3",
        "joint.max_len=256",
        "joint.text_max_len=128", "joint.val_groups=8", "joint.probe_states=24", "joint.probe_folds=3",
        "joint.device=cpu", "joint.monitor.probe_every=2", "joint.monitor.temperature_every=2",
        "joint.monitor.sft_deadline=0", "ebm.head.hidden=[32,16]"]


@pytest.mark.slow
def test_cli_joint_then_prove_with_its_policy_and_value(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    exe = Path(sys.executable).with_name("qed")
    assert exe.exists(), "the qed console script is not installed (make setup installs it)"

    def run(*args: str, code: int = 0) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == code, proc.stdout + proc.stderr
        return proc

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("theorem foo (x : ℝ) (h₀ : 2 * x = 4) : x = 2 := by\n  linarith\n```lean4\n" * 20)
    run("model", "init", "--size", "tiny", "--out", str(tmp_path / "m"), "--corpus", str(corpus))
    thms = tmp_path / "thms.jsonl"
    run("sandbox", "generate", "--n", "40", "--seed", "3", "--out", str(thms), "--workers", "1")
    run("data", "sft-pairs", "--theorems", str(thms), "--out", str(tmp_path / "pairs.jsonl"))
    spec = SyntheticSpec(theorems=30, signal=0.8, seed=1)
    write_trajectories(tmp_path / "traj.parquet", synthetic_trajectories(spec))
    inputs = [f"joint.model={tmp_path / 'm'}", f"joint.pairs={tmp_path / 'pairs.jsonl'}",
              f"joint.trajectories={tmp_path / 'traj.parquet'}"]
    run_dir = tmp_path / "joint"
    out = run("train", "joint", *inputs, f"joint.out={run_dir}", *TINY).stdout
    assert "value=ebm" in out and (run_dir / "DONE").exists() and (run_dir / "joint.png").exists()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["steps"] == 4 and metrics["centroid_l2"] > 0

    run("prove", str(tmp_path / "thms.jsonl"), "--limit", "2", "--name", "p", f"search.runs_dir={tmp_path}",
        "policy=hf", f"policy.model={tmp_path / 'm'}", f"policy.adapter={run_dir / 'adapter'}",
        "policy.device=cpu", "search.max_expansions=2", "search.candidates=2", "policy.max_new_tokens=8",
        "value=ebm", f"search.ebm_dir={run_dir / 'ebm'}", "ebm.encoder.kind=hf")
    import pyarrow.parquet as pq

    energies = pq.read_table(tmp_path / "p" / "trajectories.parquet").column("energy").to_pylist()
    assert any(e == e for e in energies)  # the joint head scored states (non-NaN energies)

    aborted = run("train", "joint", *inputs, f"joint.out={tmp_path / 'abort'}", *TINY,
                  "joint.monitor.min_centroid_l2=1e9", code=3)
    assert "collapse" in aborted.stderr
