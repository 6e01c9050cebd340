import Mathlib
import Aesop

set_option maxHeartbeats 400000

open BigOperators Real Nat Topology Rat

/-- miniF2F mathd_algebra_10-style: a linear equation. -/
theorem linear_eq (x : ℝ) (h₀ : 3 * x + 2 = 11) : x = 3 := by
  linarith

theorem two_facts (a b : ℝ) (h₀ : a + b = 10) (h₁ : a - b = 2) : a = 6 ∧ b = 4 := by
  constructor
  · linarith
  · linarith

theorem amgm_two (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by
  nlinarith [sq_nonneg (a - b)]

theorem mod_five (n : ℕ) (h₀ : n % 5 = 3) : 2 * n % 5 = 1 := by
  omega

theorem witness : ∃ x : ℤ, 3 * x + 2 = 11 := by
  use 3

theorem cases_quadratic (x : ℝ) (h₀ : x = 2 ∨ x = 3) : x ^ 2 - 5 * x + 6 = 0 := by
  rcases h₀ with h | h
  · rw [h]
    norm_num
  · rw [h]
    norm_num

theorem small_cases (n : ℕ) (h₀ : 2 < n) (h₁ : n < 5) (h₂ : n % 2 = 0) : n = 4 := by
  interval_cases n <;> omega

/-- This one is wrong on purpose: `qed check` shows the failing tactic and its goal. -/
theorem wrong_step (x : ℝ) (h₀ : 2 * x = 4) : x = 3 := by
  linarith
