"""``SandboxEnv`` against the Env contract: the conformance suite, goal order, bad input,
determinism, immutability, end-to-end miniF2F proofs and structural-tactic throughput."""

from __future__ import annotations

import json
import time

import pytest

from qed.core import Env, Goals, ProofState, Proved, StatementError, TacticError, Theorem
from qed.env.check import check_proof, split_statement
from qed.env.conformance import ConformanceCase, run_conformance
from qed.env.sandbox.env import SandboxEnv


def thm(statement: str) -> Theorem:
    return Theorem("t", f"theorem t {statement} := by")


def test_conformance_suite():
    env = SandboxEnv()
    assert isinstance(env, Env)
    case = ConformanceCase(
        theorem=thm("(x y : ℝ) (h₀ : x + y = 5) (h₁ : x - y = 1) : x = 3 ∧ y = 2"),
        initial_goal="x y : ℝ\nh₀ : x + y = 5\nh₁ : x - y = 1\n⊢ x = 3 ∧ y = 2",
        step="have h : x = 3 := by linarith",
        branch="constructor",
        split="constructor",
        proof=("constructor", "linarith", "linarith"),
        bad_statement=Theorem("bad", "theorem bad (x : ℝ) : x + = 1 := by"),
    )
    passed = run_conformance(env, case)
    assert "proof" in passed and "bad statement" in passed


def test_goal_order_other_goals_follow():
    env = SandboxEnv()
    s = env.start(thm("(a b : ℝ) (ha : 0 < a) (hb : 0 < b) : (0 < a ∧ 0 < b) ∧ 0 < a + b"))
    r = env.apply(s, 0, "constructor")
    assert isinstance(r, Goals) and [g.tag for g in r.state.goals] == ["left", "right"]
    r2 = env.apply(r.state, 1, "constructor")
    assert isinstance(r2, TacticError)  # 0 < a + b is not a conjunction
    r3 = env.apply(r.state, 0, "constructor")
    assert isinstance(r3, Goals)
    assert [g.target for g in r3.state.goals] == ["0 < a", "0 < b", "0 < a + b"]
    r4 = env.apply(r3.state, 2, "linarith")
    assert isinstance(r4, Goals) and [g.target for g in r4.state.goals] == ["0 < a", "0 < b"]


def test_bad_input_is_a_tactic_error():
    env = SandboxEnv()
    s = env.start(thm("(x : ℝ) (h : 0 < x) : 0 < x"))
    for idx in (-1, 1, 7):
        r = env.apply(s, idx, "exact h")
        assert isinstance(r, TacticError) and f"invalid goal index {idx}" in r.message
    foreign = ProofState(s.goals, handle=None)
    assert "not produced by a SandboxEnv" in env.apply(foreign, 0, "exact h").message
    assert isinstance(env.apply(s, 0, ""), TacticError)
    for junk in ("exact", "rw", "rw [", "have h :", "obtain ⟨a", "use", "⟨⟩", "norm_num [", "exact (h"):
        r = env.apply(s, 0, junk)
        assert isinstance(r, TacticError) and r.message and "internal error" not in r.message, (junk, r)
    with pytest.raises(StatementError):
        env.start(Theorem("bad", "theorem bad (x : ℝ) : := by"))


def test_determinism_and_immutability():
    env = SandboxEnv()
    s = env.start(thm("(x : ℝ) : ∀ y : ℝ, y = x → x = y"))
    texts = s.text
    a = env.apply(s, 0, "intro y hy")
    b = env.apply(s, 0, "intro z")
    c = SandboxEnv().apply(SandboxEnv().start(thm("(x : ℝ) : ∀ y : ℝ, y = x → x = y")), 0, "intro y hy")
    assert a == c and a.state.handle == c.state.handle
    assert a != b and s.text == texts
    assert isinstance(env.apply(a.state, 0, "exact hy.symm"), Proved)
    assert isinstance(env.apply(a.state, 0, "linarith"), Proved)
    assert isinstance(env.apply(b.state, 0, "intro h; rw [h]"), Proved)


def test_shadowed_binders_from_statement():
    env = SandboxEnv()
    s = env.start(thm("(n : ℤ) (h₁ : n = 2) (n : ℕ) (h₂ : n = 3) : n + 1 = 4"))
    assert s.goals[0].text.splitlines()[:2] == ["n✝ : ℤ", "h₁ : n✝ = 2"]
    assert isinstance(env.apply(s, 0, "subst h₂; norm_num"), Proved)
    r = env.apply(s, 0, "rw [h₂]")
    assert isinstance(r, Goals) and r.state.goals[0].target == "3 + 1 = 4"


MINIF2F_PROOFS = {
    "mathd_algebra_109": "linarith",
    "mathd_algebra_37": "have hx : x = 19 := by linarith\nhave hy : y = -12 := by linarith\n"
                        "rw [hx, hy]\nnorm_num",
    "mathd_algebra_44": "constructor\n· linarith\n· linarith",
    "mathd_algebra_419": "rw [h₀, h₁]\nnorm_num",
    "mathd_numbertheory_136": "omega",
    "mathd_numbertheory_48": "nlinarith [h₀, h₁]",
    "mathd_algebra_141": "nlinarith [sq_nonneg (a - b), sq_nonneg (a + b)]",
    "aime_1989_p8": "linarith",
}


def test_minif2f_proofs_end_to_end(minif2f_v1):
    rows = {r["name"]: r for r in map(json.loads, minif2f_v1.read_text().splitlines())}
    env = SandboxEnv()
    for name, proof in MINIF2F_PROOFS.items():
        statement, _ = split_statement(rows[name]["formal_statement"] + "\n")
        result = check_proof(env, Theorem(name, statement), "\n" + proof)
        assert result.ok, (name, result.failure)
    # and a wrong proof of one of them fails
    bad = check_proof(env, Theorem("m", rows["mathd_algebra_109"]["formal_statement"]), "\nnorm_num")
    assert not bad.ok


def test_initial_goals_match_recorded_lean_goals(shared_dir):
    base = shared_dir / "data" / "minif2f"
    lines = (base / "minif2f_v1_goals.jsonl").read_text().splitlines()
    goals = {r["name"]: r["goal"] for r in map(json.loads, lines)}
    env = SandboxEnv()
    names = ["mathd_algebra_109", "mathd_algebra_37", "mathd_numbertheory_136", "aime_1989_p8"]
    for row in map(json.loads, (base / "minif2f_v1.jsonl").read_text().splitlines()):
        if row["name"] in names:
            s = env.start(Theorem(row["name"], row["formal_statement"]))
            assert " ".join(s.goals[0].text.split()) == " ".join(goals[row["name"]].split())


def test_structural_throughput():
    env = SandboxEnv()
    s = env.start(thm("(a b c : ℝ) (h₀ : 0 < a ∧ 0 < b ∧ 0 < c) (h₁ : a * b * c = 1) (h₂ : a + b + c = 3) : "
                      "(∀ x : ℝ, x > 0 → x ^ 2 + a > 0) ∧ (a + b = 2 ↔ c = 1)"))
    tactics = ["constructor", "intro x hx", "exact h₁", "obtain ⟨ha, hb, hc⟩ := h₀", "intros", "assumption",
               "left", "exfalso", "have h : a > 0 := h₀.1"]
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.5:
        for tac in tactics:
            env.apply(s, 0, tac)
            n += 1
    rate = n / (time.perf_counter() - start)
    assert rate >= 2000, f"{rate:.0f} structural applications/s"
