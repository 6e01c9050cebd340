"""Extraction from SearchResult: trajectory rows/Parquet, SFT pairs, contrastive groups, proof files."""

from __future__ import annotations

import json
from dataclasses import asdict, astuple

import pyarrow.parquet as pq
import pytest

from qed.core import Theorem
from qed.core.lean_text import header_and_declarations
from qed.data.contrastive import build_groups
from qed.data.proofs import (
    contrastive_groups,
    lean_source,
    proof_script,
    sft_pairs,
    trajectory_rows,
    trajectory_table,
)
from qed.data.trajectory import read_trajectories, validate
from qed.env.check import check_proof, split_statement
from qed.env.sandbox.env import SandboxEnv
from qed.policy.scripted import FixedPolicy, RandomPolicy
from qed.search.best_first import SearchSettings, best_first
from qed.search.result import Budget

NAMES = [
    "imo_1961_p1",
    "mathd_algebra_513",
    "mathd_algebra_314",
    "mathd_numbertheory_370",
    "mathd_algebra_234",
]


@pytest.fixture(scope="module")
def results(minif2f_theorems):
    out = []
    for name in NAMES:
        out.append(
            best_first(
                minif2f_theorems[name],
                env=SandboxEnv(),
                policy=RandomPolicy(seed=3),
                value=None,
                budget=Budget(max_expansions=12, candidates=6),
                settings=SearchSettings(alpha=0.0),
            )
        )
    two = Theorem(
        "two", "theorem two (x : ℝ) (h₀ : 2 * x + 3 = 7) : x = 2 ∧ x + 1 = 3 := by", header="import Mathlib\n"
    )
    out.append(
        best_first(
            two, env=SandboxEnv(), policy=FixedPolicy(["intro h", "constructor", "linarith"]), value=None
        )
    )
    return out


def test_rows_are_valid_trajectories_and_round_trip_through_parquet(results, tmp_path):
    assert {r.status for r in results} == {"proved", "failed"}
    rows = [row for r in results for row in trajectory_rows(r)]
    validate(rows)
    for r in results:
        mine = [row for row in rows if row.theorem == r.theorem.name]
        assert len(mine) == len(r.nodes) and all(row.proved == r.proved for row in mine)
        assert [row.node_id for row in mine if row.on_proof_path] == list(r.proof_path())
    table = trajectory_table(results)
    assert {"env_seconds", "created_at"} <= set(table.column_names)
    pq.write_table(table, tmp_path / "t.parquet")
    back = read_trajectories(tmp_path / "t.parquet")

    def plain(rs):  # NaN energies (unscored) compare unequal to themselves
        return [tuple(None if v != v else v for v in astuple(r)) for r in rs]

    assert plain(back) == plain(rows)


def test_sft_pairs_follow_the_proof_path_in_sft_pair_columns(results, tmp_path):
    from qed.train.sft_data import read_pairs

    two = results[-1]
    pairs = sft_pairs(two)
    assert [p.tactic for p in pairs] == ["constructor", "linarith", "linarith"]
    assert pairs[0].state == two.root_goal and pairs[1].state.count("⊢") == 2
    assert all(p.theorem == "two" and p.statement.endswith(":= by") for p in pairs)
    assert sft_pairs(next(r for r in results if r.status == "failed")) == []
    path = tmp_path / "pairs.jsonl"
    path.write_text(
        "".join(json.dumps(asdict(p), ensure_ascii=False) + "\n" for p in pairs), encoding="utf-8"
    )
    assert [(p.state, p.tactic) for p in read_pairs(path)] == [(p.state, p.tactic) for p in pairs]


def test_contrastive_groups_consume_search_rows_unchanged(results):
    groups, stats = contrastive_groups(results, k=3)
    rows = [row for r in results for row in trajectory_rows(r)]
    same, _ = build_groups(rows, k=3)
    assert groups == same
    on_path = {row.state for row in rows if row.on_proof_path and row.outcome == "goals"}
    assert stats.positives == len([row for row in rows if row.on_proof_path and row.outcome == "goals"]) > 0
    assert all(g.positive in on_path and len(g.negatives) == 3 for g in groups)


def test_lean_source_is_accepted_by_qed_check(results):
    for r in results:
        if not r.proved:
            continue
        text = lean_source(r.theorem, r.proof_tactics())
        header, decls = header_and_declarations(text)
        assert len(decls) == 1 and header.strip() == r.theorem.header.strip()
        statement, proof = split_statement(decls[0][1])
        assert check_proof(SandboxEnv(), Theorem(r.theorem.name, statement, header=header), proof).ok


def test_multiline_tactics_keep_their_layout():
    text = proof_script(["have h : x = 2 := by\n  linarith", "exact h"])
    assert text == "  have h : x = 2 := by\n    linarith\n  exact h"
    with pytest.raises(ValueError, match="does not end"):
        lean_source(Theorem("t", "theorem t : 1 = 1"), ["rfl"])
