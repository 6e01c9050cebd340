"""The deep benchmark: deterministic by seed, every proof re-verified by a fresh sandbox, 4-12
steps, no one-step shortcut in the menu, wrong turns that apply and lead to false goals, and
drafts that break a rule are dropped with the reason."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import qed.env.sandbox.deep_generate as deep_generate
from qed.cli.main import app
from qed.core import Goals, Proved, Theorem
from qed.env.check import check_proof
from qed.env.sandbox.deep_families import DEEP_FAMILIES, DeepDraft
from qed.env.sandbox.env import SandboxEnv

ROWS = [g.row for g in deep_generate.generate_deep(20, seed=7)]
STRONG = ("simp_all", "norm_num [*]", "linarith", "nlinarith", "omega", "simp", "norm_num", "positivity")


def _thm(row: dict) -> Theorem:
    return Theorem(row["name"], row["formal_statement"], header=row["header"])


def test_rows_are_deterministic_by_seed_and_mix_families_and_lengths():
    assert all(r is not None for r in ROWS)
    again = [g.row for g in deep_generate.generate_deep(20, seed=7)]
    assert again == ROWS
    other = [g.row for g in deep_generate.generate_deep(20, seed=8)]
    assert [r["formal_statement"] for r in other] != [r["formal_statement"] for r in ROWS]
    assert {r["family"] for r in ROWS} == set(DEEP_FAMILIES)
    assert {r["difficulty"] for r in ROWS} == {1, 2, 3, 4, 5}
    assert all(4 <= r["proof_length"] <= 12 for r in ROWS)
    for key in ("name", "formal_statement", "header", "proof", "split", "informal_statement"):
        assert all(r[key] for r in ROWS), key


def test_every_proof_checks_in_a_fresh_sandbox_and_has_the_stated_length():
    env = SandboxEnv()
    for row in ROWS:
        result = check_proof(env, _thm(row), row["proof"])
        assert result.ok, (row["name"], result.failure)
        assert len([t for t in row["proof"].split("\n") if t.strip()]) == row["proof_length"]


def test_no_menu_tactic_or_strong_closer_proves_a_root_in_one_step_but_the_menu_holds_the_proof():
    env = SandboxEnv()
    for row in ROWS:
        root = env.start(_thm(row))
        proof = [t.strip() for t in row["proof"].split("\n") if t.strip()]
        assert set(proof) <= set(row["menu"]) and set(row["decoys"]) <= set(row["menu"])
        for t in (*row["menu"], *STRONG):
            assert not isinstance(env.apply(root, 0, t), Proved), (row["name"], t)


def test_false_have_decoys_open_a_goal_no_closer_proves():
    """The sandbox is sound: a wrong intermediate claim stays unprovable (a dead end)."""
    env = SandboxEnv()
    seen = 0
    for row in ROWS:
        root = env.start(_thm(row))
        for decoy in row["decoys"]:
            out = env.apply(root, 0, decoy)
            assert isinstance(out, Goals), (row["name"], decoy)
            if decoy.startswith("have ") and ":=" not in decoy:
                seen += 1
                for closer in STRONG:
                    assert not isinstance(env.apply(out.state, 0, closer), Proved), (decoy, closer)
                    after = env.apply(out.state, 0, closer)
                    if isinstance(after, Goals):  # progress, but the false goal is still first
                        assert len(after.state.goals) == len(out.state.goals)
    assert seen >= len(ROWS)


def test_drafts_that_break_a_rule_are_dropped_with_the_reason(monkeypatch):
    def shortcut(rng, d):
        return DeepDraft("(x : ℝ) (hx : x = 1)", "x + 1 = 2", ("linarith",), ("have e : x = 3",), "trivial")

    def bad_decoy(rng, d):
        proof = ("have e : x ^ 3 = 1 := by rw [hx]; norm_num", "exact e")
        decoys = ("rcases hx with h | h",)
        return DeepDraft("(x : ℝ) (hx : x = 1) (hy : x ^ 2 = 1)", "x ^ 3 = 1", proof, decoys, "")

    def wrong(rng, d):
        return DeepDraft("(x : ℝ) (hx : x = 1)", "x ^ 2 = 1", ("rw [hx]", "norm_num", "norm_num"), (), "")

    monkeypatch.setitem(DEEP_FAMILIES, "t_shortcut", shortcut)
    monkeypatch.setitem(DEEP_FAMILIES, "t_decoy", bad_decoy)
    monkeypatch.setitem(DEEP_FAMILIES, "t_wrong", wrong)
    names = ("t_shortcut", "t_decoy", "t_wrong")
    got = {f: next(deep_generate.generate_deep(1, families=[f])) for f in names}
    assert got["t_shortcut"].row is None and "proves the root in one step" in got["t_shortcut"].error
    assert got["t_decoy"].row is None and "does not apply at the root" in got["t_decoy"].error
    assert got["t_wrong"].row is None and "norm_num" in got["t_wrong"].error
    with pytest.raises(ValueError, match="unknown deep families"):
        next(deep_generate.generate_deep(1, families=["nope"]))


def test_cli_writes_the_benchmark(tmp_path):
    out = tmp_path / "deep.jsonl"
    r = CliRunner().invoke(app, ["science", "deep", "--n", "6", "--seed", "7", "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == ROWS[:6]
