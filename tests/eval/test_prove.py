"""The proving run loop (results, parts, proofs, summary, DONE; resume) and the summary maths."""

from __future__ import annotations

import json

import pytest

from qed.core import EnvCrashed, Theorem
from qed.data.benchmarks import load_benchmark
from qed.data.trajectory import read_trajectories
from qed.dist.local import LocalProver, shared
from qed.env.sandbox.coverage import coverage
from qed.env.sandbox.env import SandboxEnv
from qed.eval.prove import RunError, read_records, run_prove
from qed.eval.summary import category, compare, summarize, wilson
from qed.policy.scripted import FixedPolicy
from qed.search.best_first import SearchSettings
from qed.search.result import Budget

BUDGET = Budget(max_expansions=6, candidates=8)


@pytest.fixture(scope="module")
def theorems() -> list[Theorem]:
    ths = load_benchmark("minif2f_v1")
    accepted = set(coverage(ths).accepted)
    picked = [t for t in ths if t.name in accepted][:10]
    rejected = [t for t in ths if t.name not in accepted][:2]
    return picked[:5] + rejected + picked[5:]


class CrashFor:
    """A sandbox whose ``apply`` raises ``EnvCrashed`` for one theorem's states (by root text)."""

    def __init__(self, theorem: Theorem):
        self.inner = SandboxEnv()
        self.bad = self.inner.start(theorem).text.split("⊢")[0]

    def start(self, theorem):
        return self.inner.start(theorem)

    def apply(self, state, goal_index, tactic):
        if state.goals and state.goals[0].text.split("⊢")[0] == self.bad:
            raise EnvCrashed("Lean REPL died (test)")
        return self.inner.apply(state, goal_index, tactic)

    def release(self, states):
        pass


def prover(env=None, concurrency=3):
    return LocalProver(
        envs=shared(env or SandboxEnv()),
        policy=FixedPolicy(),
        value=None,
        budget=BUDGET,
        settings=SearchSettings(alpha=0.0),
        concurrency=concurrency,
    )


def outputs(root):
    records = read_records(root / "results.jsonl")
    proofs = [json.loads(line) for line in (root / "proofs.jsonl").read_text().splitlines()]
    return records, proofs


def test_a_full_run_writes_everything(theorems, tmp_path):
    summary = run_prove(theorems, prover(), tmp_path)
    records, proofs = outputs(tmp_path)
    assert sorted(r["name"] for r in records) == sorted(t.name for t in theorems)
    assert (tmp_path / "DONE").exists() and json.loads((tmp_path / "summary.json").read_text()) == summary
    proved = {r["name"] for r in records if r["status"] == "proved"}
    assert proved and {p["name"] for p in proofs} == proved
    assert {f.stem for f in (tmp_path / "proofs").iterdir()} == proved
    rows = read_trajectories(tmp_path / "trajectories.parquet")
    searched = {r["name"] for r in records if r["status"] != "unsupported"}
    assert {r.theorem for r in rows} == searched
    assert summary["unsupported"] == 2 and summary["attempted"] == len(theorems) - 2
    assert summary["proved"] == len(proved)


def test_resume_after_stopping_has_no_duplicates_or_losses(theorems, tmp_path):
    reference = tmp_path / "ref"
    run_prove(theorems, prover(), reference)
    run = tmp_path / "run"
    assert run_prove(theorems, prover(), run, stop_after=4) is None
    assert not (run / "DONE").exists() and len(read_records(run / "results.jsonl")) == 4
    # a torn line (killed mid-write) and an orphan part of an unfinished theorem
    with (run / "results.jsonl").open("a") as fh:
        fh.write('{"name": "half')
    (run / "trajectories" / "orphan.parquet").write_bytes(b"junk")
    seen: list[int] = []
    run_prove(theorems, prover(), run, on_start=lambda recs, left: seen.extend([len(recs), left]))
    assert seen == [4, len(theorems) - 4]
    assert not (run / "trajectories" / "orphan.parquet").exists()
    got, ref = outputs(run), outputs(reference)
    key = lambda r: (r["name"], r["status"], r["proof"], r["expansions"])  # noqa: E731
    assert sorted(map(key, got[0])) == sorted(map(key, ref[0]))
    assert sorted(p["name"] for p in got[1]) == sorted(p["name"] for p in ref[1])
    assert len(read_trajectories(run / "trajectories.parquet")) == len(
        read_trajectories(reference / "trajectories.parquet")
    )
    # a finished run is not searched again
    calls = []
    run_prove(theorems, prover(), run, on_start=lambda recs, left: calls.append(left))
    assert calls == [0]


def test_proof_line_without_result_line_is_dropped_on_resume(theorems, tmp_path):
    run_prove(theorems, prover(), tmp_path, stop_after=len(theorems))
    records = read_records(tmp_path / "results.jsonl")
    last_proved = [r for r in records if r["status"] == "proved"][-1]["name"]
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    kept = [ln for ln in lines if json.loads(ln)["name"] != last_proved]
    (tmp_path / "results.jsonl").write_text("".join(ln + "\n" for ln in kept))
    run_prove(theorems, prover(), tmp_path)
    records, proofs = outputs(tmp_path)
    names = [p["name"] for p in proofs]
    assert names.count(last_proved) == 1 and len(records) == len(theorems)


def test_crash_is_counted_apart_from_failures(theorems, tmp_path):
    victim = theorems[0]
    summary = run_prove(theorems, prover(CrashFor(victim)), tmp_path)
    rec = next(r for r in read_records(tmp_path / "results.jsonl") if r["name"] == victim.name)
    assert rec["status"] == "error" and "died" in rec["message"]
    assert summary["infrastructure_errors"] == 1 and summary["error_theorems"] == [victim.name]
    assert summary["attempted"] == len(theorems) - 3


def test_corrupt_middle_line_and_foreign_results_are_refused(theorems, tmp_path):
    (tmp_path / "results.jsonl").write_text('garbage\n{"name": "x", "status": "failed"}\n')
    with pytest.raises(RunError, match="results.jsonl:1"):
        run_prove(theorems, prover(), tmp_path)
    foreign = {"name": "x", "status": "failed", "proof": [], "expansions": 1}
    (tmp_path / "results.jsonl").write_text(json.dumps(foreign) + "\n")
    with pytest.raises(RunError, match="not in this benchmark"):
        run_prove(theorems, prover(), tmp_path)


def test_wilson_interval_and_categories():
    lo, hi = wilson(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)
    lo, hi = wilson(0, 20)
    assert lo == 0.0 and hi == pytest.approx(0.1611, abs=1e-4)
    assert category("mathd_algebra_10") == "mathd_algebra"
    assert category("mathd_numbertheory_3") == "mathd_numbertheory"
    assert category("amc12a_2019_p21") == "amc12" and category("aimeI_2000_p7") == "aime"
    assert category("algebra_sqineq") == "algebra" and category("numbertheory_x") == "numbertheory"
    assert category("imo_1959_p1") == "imo" and category("induction_x") == "induction"
    assert category("two") == "other"


def test_summary_counts_and_compare():
    recs = [
        {"name": "mathd_algebra_1", "status": "proved", "proof": ["linarith"], "expansions": 1},
        {"name": "mathd_algebra_2", "status": "failed", "proof": [], "expansions": 8},
        {"name": "aime_1", "status": "unsupported", "proof": [], "expansions": 0},
        {"name": "imo_1", "status": "error", "proof": [], "expansions": 3},
    ]
    s = summarize(recs)
    assert (s["proved"], s["attempted"], s["rate"], s["unsupported"], s["infrastructure_errors"]) == (
        1,
        2,
        0.5,
        1,
        1,
    )
    assert s["categories"]["mathd_algebra"]["rate"] == 0.5 and s["categories"]["aime"]["attempted"] == 0
    other = [dict(r, status="failed") if r["name"] == "mathd_algebra_1" else r for r in recs]
    c = compare({"llm-only": other, "configured": recs})
    assert c["configured"]["only_this_arm"] == ["mathd_algebra_1"] and c["llm-only"]["rate"] == 0.0
