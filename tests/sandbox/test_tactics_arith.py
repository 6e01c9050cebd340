"""Arithmetic tactics through ``SandboxEnv``: each on true goals (closes) and false goals
(never closes), with Lean's error messages."""

from __future__ import annotations

import pytest

from qed.core import Goals, Proved, TacticError, Theorem
from qed.env.sandbox.env import SandboxEnv

ENV = SandboxEnv(tactic_timeout_s=5.0)


def outcome(statement: str, *tactics: str):
    state = ENV.start(Theorem("t", f"theorem t {statement} := by"))
    result = None
    for tac in tactics:
        result = ENV.apply(state, 0, tac)
        if not isinstance(result, (Goals, Proved)):
            return result
        state = result.state
    return result


def proves(statement: str, *tactics: str) -> bool:
    return isinstance(outcome(statement, *tactics), Proved)


def error(statement: str, *tactics: str) -> str:
    r = outcome(statement, *tactics)
    assert isinstance(r, TacticError), r
    return r.message


@pytest.mark.parametrize("statement,tactic", [
    ("(x : ℝ) (h₀ : 3 * x + 2 = 11) : x = 3", "linarith"),
    ("(a b : ℝ) (h₀ : a + b = 5) (h₁ : a - b = 1) : a = 3", "linarith"),
    ("(a b : ℝ) : a * b ≤ (a ^ 2 + b ^ 2) / 2", "nlinarith [sq_nonneg (a - b)]"),
    ("(x : ℝ) (h : x ^ 2 = 4) (hx : 0 < x) : x = 2", "nlinarith [sq_nonneg (x - 2), sq_nonneg (x + 2)]"),
    ("(a : ℝ) : (a - 1) * (a + 1) = a ^ 2 - 1", "ring"),
    ("(n : ℕ) (h : n % 2 = 1) : (n + 1) % 2 = 0", "omega"),
    ("(x : ℝ) (hx : 0 < x) : 0 < x ^ 3 + x", "positivity"),
    (": ((3 : ℝ) / 8 + 7 / 8) / (4 / 5) = 25 / 16", "norm_num"),
    (": (2 : ℕ) + 2 = 4", "decide"),
    ("(x : ℝ) (h : 2 * x = 4) : x = 2", "linarith [h]"),
])
def test_true_goals_close(statement, tactic):
    assert proves(statement, tactic)


@pytest.mark.parametrize("statement,tactic,message", [
    ("(x : ℝ) (h₀ : 3 * x + 2 = 11) : x = 4", "linarith", "linarith failed to find a contradiction"),
    ("(a b : ℝ) : a * b ≤ (a ^ 2 + b ^ 2) / 3", "nlinarith [sq_nonneg (a - b)]", "linarith failed"),
    ("(a : ℝ) : (a - 1) * (a + 1) = a ^ 2 + 1", "linarith", "linarith failed"),
    ("(n : ℕ) (h : n % 2 = 1) : (n + 1) % 2 = 1", "omega", "omega could not prove the goal"),
    ("(x : ℝ) : 0 < x ^ 3 + x", "positivity", "positivity"),
    ("(x : ℝ) : x - 1 < x + 1", "positivity", "not a positivity goal"),
    (": (2 : ℕ) + 2 = 5", "decide", "is false"),
    (": (2 : ℝ) + 2 = 5", "norm_num", "norm_num"),
    ("(x : ℝ) (h : x = 1) : x = 2", "norm_num", "norm_num failed to simplify"),
    ("(x : ℝ) : x = 2", "simp", "simp made no progress"),
    ("(x y : ℝ) : x = y", "ring", "ring_nf failed"),
])
def test_false_goals_fail_with_lean_messages(statement, tactic, message):
    assert message in error(statement, tactic)


def test_ring_falls_back_to_ring_nf_without_error():
    r = outcome("(a : ℝ) : (a - 1) * (a + 1) = a ^ 2", "ring")
    assert isinstance(r, Goals) and len(r.state.goals) == 1
    assert r.state.goals[0].target != "(a - 1) * (a + 1) = a ^ 2"


def test_norm_num_locations_and_hints():
    # hypothesis simplified to False closes the goal
    assert proves("(x : ℝ) (h : (2 : ℝ) + 2 = 5) : x = 7", "norm_num at h")
    r = outcome("(x : ℝ) (h : x = 2 + 3) : x = 5", "norm_num at h")
    assert isinstance(r, Goals) and "h : x = 5" in r.state.goals[0].text
    assert proves("(x : ℝ) (h : x = 2 + 3) : x = 5", "norm_num at h", "exact h")
    assert proves("(x : ℝ) (h : x = 2) : x + 3 = 5", "norm_num [h]")
    assert "unknown identifier 'nope'" in error("(x : ℝ) : x = x + 0", "norm_num [nope]")


def test_nested_have_and_hints_from_lemmas():
    assert proves("(x y : ℝ) (h₀ : x + y = 7) (h₁ : 3 * x + y = 45) : x ^ 2 - y ^ 2 = 217",
                  "have h : x = 19 := by linarith", "have h2 : y = -12 := by linarith",
                  "rw [h, h2]", "norm_num")
    assert proves("(a b : ℝ) (ha : 0 < a) (hb : 0 < b) : 0 < a * b + a", "nlinarith [mul_pos ha hb]")
    assert "mismatch" in error("(a b : ℝ) (ha : 0 ≤ a) (hb : 0 < b) : 0 < a * b", "nlinarith [mul_pos ha hb]")


def test_interval_cases():
    r = outcome("(x : ℕ) (h : x < 3) (h2 : 0 < x) : x = 1 ∨ x = 2", "interval_cases x")
    assert isinstance(r, Goals) and len(r.state.goals) == 2
    assert r.state.goals[0].target == "1 = 1 ∨ 1 = 2"
    assert proves("(x : ℕ) (h : x < 3) (h2 : 0 < x) : x = 1 ∨ x = 2", "interval_cases x <;> simp")
    assert proves("(n : ℤ) (h : 2 ≤ n) (h' : n ≤ 1) : n = 7", "interval_cases n")  # empty range
    assert "no upper bound" in error("(x : ℕ) (h : 0 < x) : x = 1", "interval_cases x")
    assert "ℕ or ℤ" in error("(x : ℝ) (h : 0 < x) (h' : x < 2) : x = 1", "interval_cases x")
    # a false case stays open: interval_cases never closes goals by itself
    r2 = outcome("(x : ℕ) (h : x ≤ 2) : x < 2", "interval_cases x")
    assert isinstance(r2, Goals) and [g.target for g in r2.state.goals] == ["0 < 2", "1 < 2", "2 < 2"]


def test_timeout_is_reported():
    from qed.core import TacticTimeout

    env = SandboxEnv(tactic_timeout_s=1e-9)
    s = env.start(Theorem("t", "theorem t (x : ℝ) (h : 0 < x) : 0 < x := by"))
    r = env.apply(s, 0, "linarith")
    assert isinstance(r, TacticTimeout) and r.seconds == 1e-9


def test_norm_num_instantiates_forall_hints():
    defn = "(f : ℝ → ℝ) (h₀ : ∀ x, f x = x ^ 2 + 1)"
    assert proves(f"{defn} : f 3 = 10", "norm_num [h₀]")
    assert proves(f"{defn} : f (f 1) = 5", "norm_num [h₀]")
    assert "False" in error(f"{defn} : f 3 = 11", "norm_num [h₀]")
    r = outcome(f"{defn} : f 3 = 11", "simp [h₀]")
    assert isinstance(r, Goals) and r.state.goals[0].target == "False"
