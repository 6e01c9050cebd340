"""``rw`` with lemmas of the table: Lean's instantiation at the first match in traversal
order, every instance of that instantiation rewritten, conditional lemmas leaving their
side goals after the main goal, ``↔`` lemmas rewriting propositions, ``at h``, ``←``.
Soundness: a side goal is never dropped, so a false statement is never closed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qed.core import Goals, Proved, TacticError, Theorem
from qed.env.sandbox.env import SandboxEnv

ENV = SandboxEnv(tactic_timeout_s=5.0)


def run(statement: str, *tactics: str):
    state = ENV.start(Theorem("t", f"theorem t {statement} := by"))
    for tac in tactics:
        r = ENV.apply(state, 0, tac)
        if isinstance(r, Proved):
            return "proved"
        if isinstance(r, TacticError):
            return "error: " + r.message
        assert isinstance(r, Goals)
        state = r.state
    return [g.text for g in state.goals]


def targets(out) -> list[str]:
    assert isinstance(out, list), out
    return [g.rsplit("⊢ ", 1)[1] for g in out]


def test_unapplied_equation_lemmas_rewrite_the_first_match():
    out = run("(a b c : ℝ) (h : c = 0) : a * b + b * c = c", "rw [mul_comm]")
    assert targets(out) == ["b * a + b * c = c"]
    assert run("(a b : ℝ) : (a + b) ^ 2 = a ^ 2 + 2 * a * b + b ^ 2", "rw [add_sq]") == "proved"
    assert run("(a b : ℝ) : (a - b) ^ 2 = a ^ 2 - 2 * a * b + b ^ 2", "rw [sub_sq]") == "proved"
    assert run("(a b : ℝ) : a * b = b * a", "rw [mul_comm]") == "proved"


def test_all_instances_of_the_first_instantiation_are_rewritten():
    out = run("(a b : ℝ) (h : b * a + b * a = a * b) : a * b + a * b = b * a", "rw [mul_comm a b]")
    assert targets(out) == ["b * a + b * a = b * a"]


def test_numeral_offsets_match_like_lean():
    assert run("(x : ℝ) : x ^ 3 = x ^ 2 * x", "rw [pow_succ]") == "proved"


def test_applied_and_reversed():
    assert run("(a b : ℝ) (h : b * a = 1) : a * b = 1", "rw [mul_comm a b]", "exact h") == "proved"
    assert targets(run("(a : ℝ) : a + a = 2", "rw [← two_mul]")) == ["2 * a = 2"]


def test_conditional_rewrite_with_the_hypothesis_given():
    assert run("(x : ℝ) (h : 0 ≤ x) : |x| = x", "rw [abs_of_nonneg h]") == "proved"
    assert run("(x : ℝ) (hx : 0 < x) : x / x = 1", "rw [div_self (ne_of_gt hx)]") == "proved"
    assert run("(x : ℝ) (hx : 0 < x) : x / x = 1", "rw [div_self hx.ne']") == "proved"


def test_conditional_rewrite_leaves_the_side_goal_after_the_main_goal():
    out = run("(x : ℝ) (h : 0 ≤ x) : |x| + 1 = x + 2", "rw [abs_of_nonneg]")
    assert targets(out) == ["x + 1 = x + 2", "0 ≤ x"]
    assert out[1].startswith("case h")
    # the main goal closed by rfl, the side goal stays
    assert targets(run("(x : ℝ) (h : 0 ≤ x) : |x| = x", "rw [abs_of_nonneg]")) == ["0 ≤ x"]
    assert run("(x : ℝ) (h : 0 ≤ x) : |x| = x", "rw [abs_of_nonneg]", "exact h") == "proved"


def test_iff_lemmas_rewrite_propositions():
    d = "(a b c d : ℝ) (hb : 0 < b) (hd : 0 < d) (h : a * d ≤ c * b) : a / b ≤ c / d"
    assert run(d, "rw [div_le_div_iff hb hd]", "exact h") == "proved"
    assert run(d, "rw [div_le_div_iff (by positivity) (by positivity)]", "exact h") == "proved"
    out = run(d, "rw [div_le_div_iff]")
    assert targets(out) == ["a * d ≤ c * b", "0 < b", "0 < d"]
    le = "(a b c : ℝ) (hc : 0 < c) (h : a * c ≤ b) : a ≤ b / c"
    assert run(le, "rw [le_div_iff hc]", "exact h") == "proved"
    assert run("(a b : ℝ) (h : b ≤ a) : 0 ≤ a - b", "rw [sub_nonneg]", "exact h") == "proved"


def test_rewrite_at_a_hypothesis():
    assert run("(a b : ℝ) (h : 0 ≤ a - b) : b ≤ a", "rw [sub_nonneg] at h", "exact h") == "proved"
    out = run("(x y : ℝ) (h : |x| = y) (hx : 0 ≤ x) : x = y", "rw [abs_of_nonneg] at h")
    assert targets(out) == ["x = y", "0 ≤ x"]


def test_no_instance_is_lean_error():
    out = run("(a b : ℝ) : a + b = b + a", "rw [mul_comm]")
    assert "did not find instance of the pattern" in out


def test_unknown_lemma_in_rw_is_named():
    out = run("(a b : ℝ) : a + b = b + a", "rw [add_commm]")
    assert "unknown identifier 'add_commm'" in out and "lemma table" in out


def test_by_argument_that_fails_is_an_error():
    out = run("(x : ℝ) : |x| = x", "rw [abs_of_nonneg (by positivity)]")
    assert isinstance(out, str) and out.startswith("error")


# ---- soundness ------------------------------------------------------------------------

RW_BATTERY = (
    "rw [abs_of_nonneg]",
    "rw [abs_of_nonneg] <;> linarith",
    "rw [abs_of_nonneg (by linarith)]",
    "rw [abs_of_pos (by linarith)]",
    "rw [abs_of_nonneg h]",
    "rw [abs_eq_self.mpr (by linarith)]",
    "rw [abs_eq_self]; linarith",
    "rw [abs_of_nonneg]; linarith",
    "simp [abs_of_nonneg, h]",
)


@settings(max_examples=12, deadline=None)
@given(st.integers(-3, 3))
def test_conditional_rewrites_never_drop_a_false_side_goal(c):
    # |x| = x holds for every x ≥ c iff c ≥ 0
    statement = f"(x : ℝ) (h : {c} ≤ x) : |x| = x" if c >= 0 else f"(x : ℝ) (h : -{-c} ≤ x) : |x| = x"
    proved = [t for t in RW_BATTERY if run(statement, t) == "proved"]
    if c < 0:
        assert proved == [], proved
    else:
        assert proved, "the battery should prove the true cases"


@settings(max_examples=10, deadline=None)
@given(st.integers(-2, 2), st.integers(-2, 2))
def test_iff_rewrites_with_side_goals_are_sound(b, d):
    statement = f"(a c : ℝ) (h : a * ({d}) ≤ c * ({b})) : a / ({b}) ≤ c / ({d})"
    out = run(statement, "rw [div_le_div_iff (by norm_num) (by norm_num)]", "exact h")
    if out == "proved":
        assert b > 0 and d > 0
    out = run(statement, "rw [div_le_div_iff]")
    if isinstance(out, list):
        assert len(out) == 3  # the two positivity side goals are kept


def test_sum_lemmas_match_higher_order_patterns():
    s = "(n : ℕ) : ∑ i in Finset.range (n + 1), (i : ℝ) = ∑ i in Finset.range n, (i : ℝ) + n"
    assert run(s, "rw [Finset.sum_range_succ]") == "proved"  # bound names kept, closed by rfl
    assert run(s, "exact Finset.sum_range_succ _ n") == "proved"
    h = "(n : ℕ) (h : ∑ i in Finset.range n, (i : ℝ) = n * (n - 1) / 2) : "
    assert run(h + "∑ i in Finset.range (n + 1), (i : ℝ) = (n + 1) * n / 2",
               "rw [Finset.sum_range_succ, h]", "ring") == "proved"
    assert targets(run(": ∑ i in Finset.range 3, (i : ℕ) ^ 2 = 5",
                       "rw [Finset.sum_range_succ, Finset.sum_range_succ, Finset.sum_range_one]")) \
        == ["0 ^ 2 + 1 ^ 2 + 2 ^ 2 = 5"]
    wrong = h + "∑ i in Finset.range (n + 1), (i : ℝ) = (n + 1) * n"
    assert run(wrong, "rw [Finset.sum_range_succ, h]", "ring") != "proved"
