"""``qed prove`` (the real command, in a subprocess, scripted policy, sandbox env) on a benchmark
with a theorem whose goals hold 10,000-digit numerals: the run finishes, records that theorem
as failed with the reason, and the other theorems come out exactly as in a run without it."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

QED = Path(sys.executable).with_name("qed")
BIG = "9" * 10_000
OTHERS = [
    {"name": "good_add", "formal_statement": "theorem good_add : (2 : ℕ) + 3 = 5 := by"},
    {"name": "big_add", "formal_statement": f"theorem big_add : ({BIG} : ℕ) + 1 = {BIG[:-1]}8 + 2 := by"},
    {"name": "good_lin", "formal_statement": "theorem good_lin (x : ℝ) (h : 2 * x = 4) : x = 2 := by"},
    {"name": "no_proof_here", "formal_statement": "theorem no_proof_here (x : ℕ) (h : x > 3) : x = 7 := by"},
]
HUGE = {"name": "big_pow", "formal_statement": f"theorem big_pow : ({BIG} : ℕ) ^ {BIG} % 7 = 3 := by"}


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def prove(bench: Path, runs: Path, name: str) -> list[dict]:
    args = [str(QED), "prove", str(bench), "policy=scripted", "search.max_expansions=8",
            f"search.runs_dir={runs}", "--name", name]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, preexec_fn=_limits,
                          env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert (runs / name / "DONE").exists()
    return [json.loads(line) for line in (runs / name / "results.jsonl").read_text().splitlines()]


def test_a_theorem_with_ten_thousand_digit_goals_fails_with_its_reason_and_leaves_the_rest_alone(tmp_path):
    with_huge = tmp_path / "with_huge.jsonl"
    with_huge.write_text("".join(json.dumps(r) + "\n" for r in [OTHERS[0], OTHERS[1], HUGE, *OTHERS[2:]]))
    without = tmp_path / "without.jsonl"
    without.write_text("".join(json.dumps(r) + "\n" for r in OTHERS))

    records = {r["name"]: r for r in prove(with_huge, tmp_path / "runs", "huge")}
    control = {r["name"]: r for r in prove(without, tmp_path / "runs", "control")}

    assert set(records) == {r["name"] for r in [*OTHERS, HUGE]}
    huge = records["big_pow"]
    assert huge["status"] == "failed" and huge["proof"] == [] and huge["expansions"] >= 1
    assert huge["message"].startswith("no proof: ") and "tactic application(s) failed" in huge["message"]
    assert "internal error" not in huge["message"] and len(huge["message"]) < 1000
    for name, rec in control.items():
        got = records[name]
        assert (got["status"], got["proof"]) == (rec["status"], rec["proof"]), name
    assert records["big_add"]["status"] == "proved" and records["no_proof_here"]["status"] == "failed"
    summary = json.loads((tmp_path / "runs" / "huge" / "summary.json").read_text())
    assert (summary["theorems"], summary["failed"]) == (5, 2)
    control_summary = json.loads((tmp_path / "runs" / "control" / "summary.json").read_text())
    assert summary["proved"] == control_summary["proved"]
