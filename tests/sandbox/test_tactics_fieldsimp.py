"""Behaviour of field_simp, simp_all/simpa, the cast tactics, linear_combination and
gcongr: the goals they leave (Lean's shapes) and their failures."""

from __future__ import annotations

import pytest

from qed.core import Goals, Proved, TacticError, Theorem
from qed.env.sandbox.env import SandboxEnv

ENV = SandboxEnv(tactic_timeout_s=5.0)


def run(statement: str, *tactics: str):
    state = ENV.start(Theorem("t", f"theorem t {statement} := by"))
    r = None
    for tac in tactics:
        r = ENV.apply(state, 0, tac)
        if not isinstance(r, Goals):
            return r
        state = r.state
    return r


def targets(r) -> list[str]:
    assert isinstance(r, Goals), r
    return [g.target for g in r.state.goals]


def hyp(r, name: str) -> str:
    assert isinstance(r, Goals), r
    for h in r.state.goals[0].hypotheses:
        if h.name == name:
            return h.type
    raise AssertionError(f"no hypothesis {name}")


# ---- field_simp -------------------------------------------------------------------------


def test_field_simp_combines_each_side_of_an_inequality():
    r = run("(a b : ℝ) (h₁ : 0 < a ∧ 0 < b) : (a ^ 2 / b + b ^ 2 / a) ≥ 9 * a / 4",
            "field_simp [h₁.1.ne', h₁.2.ne']")
    assert targets(r) == ["9 * a / 4 ≤ (a ^ 2 * a + b * b ^ 2) / (b * a)"]


def test_field_simp_uses_positivity_for_denominators():
    r = run("(x : ℝ) (hx : x > 0) : (1 + x) ^ 3 * (1 + 16 / x ^ 3) ≥ 81", "field_simp")
    assert targets(r) == ["81 ≤ (1 + x) ^ 3 * (x ^ 3 + 16) / x ^ 3"]


def test_field_simp_cross_multiplies_equations():
    r = run("(x y : ℝ) (hx : x ≠ 0) (hy : y ≠ 0) : 1 / x + 1 / y = (x + y) / (x * y)", "field_simp")
    assert isinstance(r, (Goals, Proved))
    assert isinstance(run("(x y : ℝ) (hx : x ≠ 0) (hy : y ≠ 0) : 1 / x + 1 / y = (x + y) / (x * y)",
                          "field_simp", "ring"), Proved)


def test_field_simp_at_hypothesis():
    r = run("(x : ℝ) (hx : x = (4 - 2 * Real.sqrt 3) / 2) : x = 2 - Real.sqrt 3", "field_simp at hx ⊢")
    assert hyp(r, "hx") == "x * 2 = 4 - 2 * √3"
    assert targets(r) == ["x = 2 - √3"]


def test_field_simp_keeps_a_division_it_cannot_justify():
    r = run("(x : ℝ) : 1 / x + 1 = 2", "field_simp")
    assert isinstance(r, TacticError) and "no progress" in r.message


def test_field_simp_same_denominator():
    r = run("(p : ℝ) (h₀ : 8 * p ^ 2 - 8 * p - 3 ≠ 0) : "
            "(3 - (4 * p + 3)) / (8 * p ^ 2 - 8 * p - 3) = -4 * p / (8 * p ^ 2 - 8 * p - 3)",
            "field_simp [h₀, mul_comm]")
    assert targets(r) == ["3 - (4 * p + 3) = -4 * p"]


# ---- simp_all / simpa -------------------------------------------------------------------


def test_simp_all_only_does_not_evaluate_real_arithmetic():
    r = run("(f : ℝ → ℝ) (h₀ : ∀ x, f x = 28 * x ^ 5 + 3 * x ^ 4 - 29 * x ^ 3 + 4 * x ^ 2 - 7 * x + 1) : "
            "f 1 = 0", "simp_all only [h₀, one_pow, mul_one, mul_zero, add_zero, zero_add, sub_zero]")
    assert targets(r) == ["28 + 3 - 29 + 4 - 7 + 1 = 0"]
    assert isinstance(run("(f : ℝ → ℝ) (h₀ : ∀ x, f x = 2 * x + 1) : f 1 = 3", "simp_all"), Proved)


def test_simp_all_rewrites_hypotheses_with_each_other():
    r = run("(a b c : ℝ) (hab : a + b = 3) (h : (a + b) ^ 2 = c) : c ≥ 0", "simp_all")
    assert isinstance(r, Goals)
    assert hyp(r, "h") == "9 = c"


def test_simp_all_closes_on_false_hypothesis_and_reports_no_progress():
    assert isinstance(run("(x : ℝ) (h : x = 1) (h2 : x = 2) : x = 5", "simp_all"), Proved)
    r = run("(x y : ℝ) (h : x < y) : y > x + 1", "simp_all")
    assert isinstance(r, TacticError) and "simp_all made no progress" in r.message


def test_simpa_using():
    assert isinstance(run("(x : ℝ) (h : x + 0 = 2) : x = 2", "simpa using h"), Proved)
    r = run("(x : ℝ) (h : x + 0 = 2) : x = 3", "simpa using h")
    assert isinstance(r, TacticError) and "simpa" in r.message


# ---- casts -------------------------------------------------------------------------------


def test_exact_mod_cast_and_norm_cast():
    assert isinstance(run("(a b : ℕ) (h : a + 1 < b) : (a : ℝ) + 1 < b", "exact_mod_cast h"), Proved)
    r = run("(a b : ℕ) (h : a + 1 < b) : (a : ℝ) + 1 < b", "norm_cast")
    assert targets(r) == ["a + 1 < b"]
    assert isinstance(run("(n : ℕ) (h : (n : ℝ) ^ 2 = 4) : n ^ 2 = 4", "exact_mod_cast h"), Proved)
    assert isinstance(run("(a b : ℕ) (h : (a : ℤ) = b) : a = b", "assumption_mod_cast"), Proved)


def test_push_cast_nat_subtraction_needs_a_proof():
    stmt = "(a b : ℕ) (h : b ≤ a) : ((a - b : ℕ) : ℤ) = (a : ℤ) - (b : ℤ)"
    assert isinstance(run(stmt, "push_cast [h]"), Proved)
    r = run("(a b : ℕ) : ((a - b : ℕ) : ℤ) = (a : ℤ) - (b : ℤ)", "push_cast")
    assert isinstance(r, TacticError)


def test_zify():
    r = run("(a b : ℕ) (h : a + 2 ≤ b) : a < b", "zify at h ⊢")
    assert targets(r) == ["↑a < ↑b"]


# ---- linear_combination / gcongr --------------------------------------------------------


@pytest.mark.parametrize("tac, ok", [
    ("linear_combination (h₁ + h₂) / 2", True),
    ("linear_combination h₁ / 2 + h₂ / 2", True),
    ("linear_combination h₁ + h₂", False),
    ("linear_combination", False),
])
def test_linear_combination(tac, ok):
    r = run("(x y : ℝ) (h₁ : x + y = 5) (h₂ : x - y = 1) : x = 3", tac)
    assert isinstance(r, Proved) == ok
    if not ok:
        assert "linear_combination failed" in r.message


def test_linear_combination_term_coefficients_and_exp():
    assert isinstance(run("(a b : ℝ) (h : a = b) : a * a = b * b", "linear_combination (a + b) * h"), Proved)
    r = run("(a b : ℝ) (h : (a - b) ^ 2 = 0) : a = b", "linear_combination (exp := 2) h")
    assert isinstance(r, Proved)
    r = run("(a b : ℕ) (h : a = b) : a = b", "linear_combination h")
    assert isinstance(r, TacticError) and "not a commutative ring" in r.message


def test_gcongr():
    assert isinstance(run("(a b c : ℝ) (h : a ≤ b) (hc : 0 ≤ c) : a * c + 1 ≤ b * c + 1", "gcongr"), Proved)
    r = run("(a b c : ℝ) (h : a ≤ b) : a * c ≤ b * c", "gcongr")
    assert targets(r) == ["0 ≤ c"]
    r = run("(a b x : ℝ) (hx : 0 < x) : a / x ≤ b / x", "gcongr")
    assert targets(r) == ["a ≤ b"]
    r = run("(a b : ℝ) : a ≤ b + 1", "gcongr")
    assert isinstance(r, TacticError) and "gcongr did not make progress" in r.message


def test_linarith_splits_conjunctions():
    stmt = ("(a b c : ℝ) (ha : a > 0 ∧ a + b + c = 1) (hb : b > 0 ∧ a + b + c = 1) "
            "(hc : c > 0 ∧ a + b + c = 1) : 0 < 1 - a")
    assert isinstance(run(stmt, "linarith"), Proved)


# ---- lemma names as simp rules, omega products ------------------------------------------


def test_conditional_simp_lemmas():
    r = run("(a : ℝ) (h : a - 1 ≤ 0) : |a - 1| = 1 - a", "simp_all only [abs_of_nonneg, abs_of_nonpos]")
    assert targets(r) == ["-(a - 1) = 1 - a"]
    # the side condition 0 ≤ a - 1 follows from 1 ≤ a (simp's sub_nonneg), not from a ≥ 0
    assert isinstance(run("(a : ℝ) (h : 1 ≤ a) : |a - 1| = a - 1", "simp_all only [abs_of_nonneg]"), Proved)
    r = run("(a : ℝ) (h : 0 ≤ a) : |a - 1| = a - 1", "simp_all only [abs_of_nonneg]")
    assert isinstance(r, TacticError) and "no progress" in r.message


def test_nat_lemma_names_and_induction_step():
    r = run("(n : ℕ) (hn : 3 ^ n ≥ 2 * n + 1) : 3 ^ (n + 1) ≥ 2 * (n + 1) + 1", "simp_all [Nat.pow_succ]")
    assert targets(r) == ["3 ^ n * 3 ≥ 2 * (n + 1) + 1"]
    assert isinstance(run("(n : ℕ) (hn : 3 ^ n ≥ 2 * n + 1) : 3 ^ (n + 1) ≥ 2 * (n + 1) + 1",
                          "simp_all [Nat.pow_succ]", "nlinarith"), Proved)


def test_simp_only_keeps_real_arithmetic_for_ring():
    r = run("(x y z : ℝ) (h₁ : z = -x - y) : x ^ 3 + y ^ 3 + z ^ 3 = 3 * x * y * z",
            "simp only [h₁, add_assoc]")
    assert targets(r) == ["x ^ 3 + y ^ 3 + (-x - y) ^ 3 = 3 * x * y * (-x - y)"]


def test_omega_distributes_products():
    stmt = ("(k : ℕ) (ih : 2 * (k * (k + 1) / 2) = k * (k + 1)) : "
            "2 * ((k + 1) * (k + 1 + 1) / 2) = (k + 1) * (k + 1 + 1)")
    assert isinstance(run(stmt, "omega"), Proved)
    r = run("(x y : ℤ) (h : x * y = 3) : (x + 1) * (y + 1) = 4", "omega")
    assert isinstance(r, TacticError)


def test_linarith_casts_of_nat_are_nonnegative():
    assert isinstance(run("(n : ℕ) (x : ℝ) (h : x = -(n : ℝ)) : x ≤ 0", "linarith"), Proved)


def test_applied_lemma_hints_in_simp():
    assert isinstance(run("(a : ℝ) (h : 0 ≤ a - 1) : |a - 1| + 1 = a", "simp [abs_of_nonneg h]"), Proved)
    r = run("(a : ℝ) (h : 0 ≤ a - 1) : |a - 1| + 1 = a", "simp only [abs_of_nonneg h]")
    assert targets(r) == ["a - 1 + 1 = a"]
    assert isinstance(run("(n : ℕ) (h : 1 ≤ n) : ((n - 1 : ℕ) : ℝ) + 1 = n", "simp [Nat.cast_sub h]"), Proved)


def test_field_simp_denominators_from_disequalities():
    r = run("(x : ℝ) (hx : x ≠ 1) : 1 / (1 - x) + 1 / (x - 1) = 0", "field_simp")
    assert targets(r) == ["x - 1 + (1 - x) = 0"]
    r = run("(x : ℝ) (hx : x < 2) : 3 / (x - 2) = 1", "field_simp")
    assert targets(r) == ["3 = x - 2"]
