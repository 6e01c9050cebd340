"""Coverage of miniF2F v1 by the sandbox: accepted statements, grouped rejections, goal matches."""

from __future__ import annotations

import json

from qed.core import Theorem
from qed.env.sandbox.coverage import CoverageReport, coverage, normalize_ws


def _theorems(shared_dir) -> list[Theorem]:
    folder = shared_dir / "data" / "minif2f"
    stmts, goals = folder / "minif2f_v1.jsonl", folder / "minif2f_v1_goals.jsonl"
    assert stmts.exists() and goals.exists(), f"minif2f_v1 statements or goals missing from {folder}"
    recorded = {}
    for line in goals.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        recorded[row["name"]] = row["goal"]
    out = []
    for line in stmts.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out.append(
            Theorem(
                row["name"],
                statement=row["formal_statement"],
                header=row["header"],
                split=row["split"],
                informal=row.get("informal_statement"),
                goal=recorded.get(row["name"]),
            )
        )
    return out


def test_minif2f_v1_coverage_and_goal_matches(shared_dir):
    theorems = _theorems(shared_dir)
    report = coverage(theorems)
    assert isinstance(report, CoverageReport)
    assert report.total == len(theorems) == 488
    rejected = [name for r in report.rejected for name in r.names]
    assert len(report.accepted) + len(rejected) == report.total
    assert set(report.accepted).isdisjoint(rejected)
    assert len(report.accepted) >= 400, report.summary()
    assert report.compared == len(report.accepted)
    assert report.matched >= 0.98 * report.compared, report.mismatched
    # Rejections are grouped by short reasons, each with an example message and position.
    categories = {r.category for r in report.rejected}
    assert {"lambda (fun)"} <= categories
    assert all(r.example and "line" in r.example for r in report.rejected)
    assert len(report.rejected) < 60


def test_report_on_a_handful_of_statements():
    theorems = [
        Theorem(
            "ok", "theorem ok (x : ℝ) (h₀ : 0 < x) : x ^ 2 > 0 := by", goal="x : ℝ\nh₀ : 0 < x\n⊢   x ^ 2 > 0"
        ),
        Theorem("wrong_goal", "theorem w (n : ℕ) : n = n := by", goal="n : ℕ\n⊢ n = n + 0"),
        Theorem("no_goal", "theorem g (n : ℕ) : 2 ∣ n * 2 := by"),
        Theorem("sum", "theorem s : ∑ k : Fin 3, (k : ℕ) = 0 := by"),
        Theorem(
            "sum2", "theorem s2 : ∏ k in Finset.range 3, k = 0 := by", goal="⊢ ∏ k ∈ Finset.range 3, k = 0"
        ),
        Theorem("sum3", "theorem s3 : ∑ k : Fin 4, (k : ℕ) = 6 := by"),
        Theorem("typo", "theorem t (x : ℝ) : x = y := by"),
    ]
    report = coverage(theorems)
    assert report.accepted == ("ok", "wrong_goal", "no_goal", "sum2")
    assert (report.compared, report.matched, report.mismatched) == (3, 2, ("wrong_goal",))
    assert report.rejected[0].category == "type Fin"
    assert report.rejected[0].names == ("sum", "sum3")
    typo = next(r for r in report.rejected if r.names == ("typo",))
    assert typo.category.startswith("error: unknown identifier 'y'")
    assert "accepted 4/7" in report.summary()


def test_normalize_ws():
    assert normalize_ws(" a \n\n b\tc ") == "a b c"
