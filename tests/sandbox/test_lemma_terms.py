"""Lemmas of the table in proof terms: ``exact``/``apply``/``have`` and hint lists, through
the one instantiation mechanism (``proofterm.instantiate``): implicit arguments inferred
by unification with the arguments or the expected type, the number type inferred from
either, ``by``/``_`` arguments elaborated after unification, ``apply`` leaving the
hypotheses not given as new goals in order. Soundness: never a false statement closed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qed.core import Goals, Proved, TacticError, Theorem
from qed.env.sandbox.env import SandboxEnv
from qed.env.sandbox.parse import parse_prop, parse_statement
from qed.env.sandbox.tactics.core import Ctx
from qed.env.sandbox.tactics.lemmas import LemmaTable
from qed.env.sandbox.tactics.proofterm import lemma_rewrite_rules

ENV = SandboxEnv(tactic_timeout_s=5.0)


def run(statement: str, *tactics: str):
    """The outcome of the tactics in order on the first goal: ``"proved"``, the goals'
    texts, or the error message."""
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


def test_exact_with_implicit_arguments_from_hypotheses():
    assert run("(a b : ℝ) (ha : 0 < a) (hb : 0 < b) : 0 < a * b", "exact mul_pos ha hb") == "proved"
    assert run("(a b : ℝ) (h : a < b) : 0 < b - a", "exact sub_pos.mpr h") == "proved"
    assert run("(a b : ℝ) (h : a < b) : 0 < b - a", "exact sub_pos.2 h") == "proved"
    assert run("(n : ℕ) (h : n + 1 ≤ 5) : n < 5", "exact Nat.succ_le_iff.mp h") == "proved"
    assert run("(a b : ℝ) (h : |a - b| < 1) : a - b < 1", "exact (abs_sub_lt_iff.mp h).1") == "proved"


def test_type_inferred_from_a_projected_argument():
    # sub_nonneg.2 h₁.2 has no expected type inside mul_nonneg: the type comes from h₁.2
    s = "(x y : ℝ) (h₁ : 0 ≤ x ∧ x ≤ 1) (h₂ : 0 ≤ y ∧ y ≤ 1) : 0 ≤ (1 - x) * (1 - y)"
    assert run(s, "nlinarith [mul_nonneg (sub_nonneg.2 h₁.2) (sub_nonneg.2 h₂.2)]") == "proved"
    assert run(s, "exact mul_nonneg (sub_nonneg.2 h₁.2) (sub_nonneg.2 h₂.2)") == "proved"


def test_by_blocks_and_holes_are_elaborated_after_unification():
    out = run("(x : ℝ) (h : -1 < x) : 0 < Real.sqrt (1 + x)", "exact Real.sqrt_pos.mpr (by linarith)")
    assert out == "proved"
    assert run("(a : ℝ) : 0 ≤ |a|", "exact abs_nonneg _") == "proved"
    assert run("(a b : ℝ) (ha : 0 < a) (hb : 0 < b) : a / (a * b + 3) ≤ a / 3",
               "exact div_le_div_of_le_left ha.le (by norm_num) (by nlinarith)") == "proved"
    # a by block that fails is an error, not a closed goal
    out = run("(a b : ℝ) (ha : 0 < a) : a / (a * b + 3) ≤ a / 3",
              "exact div_le_div_of_le_left ha.le (by norm_num) (by nlinarith)")
    assert isinstance(out, str) and out.startswith("error")


def test_hints_with_ascribed_and_show_arguments():
    assert run("(t : ℝ) (h₀ : 0 ≤ t + 8) : 0 < Real.sqrt (t + 8) + 1",
               "nlinarith [sq_sqrt (by linarith : 0 ≤ t + 8), Real.sqrt_nonneg (t + 8)]") == "proved"
    assert run("(a : ℝ) (h : a ^ 2 = 2) (ha : 0 ≤ a) : a ≤ 2",
               "nlinarith [sq_sqrt (show 0 ≤ 2 by norm_num), Real.sqrt_nonneg 2]") == "proved"


def test_a_lemma_argument_is_typed_by_its_position():
    assert run("(x : ℝ) (hx : 0 < x) : 1 ≤ x + 1", "have h := add_pos hx zero_lt_one", "linarith") == "proved"


def test_have_without_enough_arguments_gives_an_implication():
    out = run("(a b : ℝ) (ha : 0 < a) (hb : 0 < b) : 0 < a * b", "have h := mul_pos ha hb", "exact h")
    assert out == "proved"
    out = run("(a : ℝ) (ha : 0 < a) : 0 < a * a", "have h : 0 < a → 0 < a * a := mul_pos ha", "exact h ha")
    assert out == "proved"


def test_apply_leaves_hypotheses_as_goals_in_order():
    goals = run("(a b : ℝ) (ha : 0 < a) (hb : 0 < b) : 0 < a * b", "apply mul_pos")
    assert [g.splitlines()[0] for g in goals] == ["case ha", "case hb"]
    assert goals[0].endswith("⊢ 0 < a") and goals[1].endswith("⊢ 0 < b")
    goals = run("(a b : ℝ) (h : a ≤ b) : a ≤ b", "apply le_of_sub_nonneg")
    assert goals[0].endswith("⊢ 0 ≤ b - a")
    assert run("(a b : ℝ) (h : a ≤ b) : a ≤ b", "apply le_of_sub_nonneg", "linarith") == "proved"


def test_apply_cannot_leave_metavariables():
    out = run("(a c : ℝ) (h : a < c) : a < c", "apply lt_trans")
    assert isinstance(out, str) and "cannot infer" in out


def test_unknown_lemma_is_named():
    out = run("(a : ℝ) : 0 ≤ a ^ 2", "exact sq_nonneg_typo a")
    assert "unknown identifier 'sq_nonneg_typo'" in out and "lemma table" in out


def test_wrong_type_is_refused():
    out = run("(n m : ℕ) (h : m ≤ n) : 0 ≤ n - m", "exact sub_nonneg.2 h")
    assert isinstance(out, str) and out.startswith("error")


def _ctx():
    import time

    return Ctx(deadline=time.monotonic() + 5, run_block=lambda g, t: (g,), lemmas=LemmaTable(parse_prop))


def test_lemma_rewrite_rules_contract():
    _, goal = parse_statement("theorem t (x y : ℝ) (h : 0 ≤ x) : |x| = x := by")
    rules = lemma_rewrite_rules("abs_of_nonneg", goal, _ctx())
    assert {str(getattr(r.lhs, "ty", "")) for r in rules} == {"ℤ", "ℚ", "ℝ"}
    r = next(r for r in rules if r.lhs.ty.name == "ℝ")
    assert not r.is_iff and r.metas == frozenset({"?a"}) and len(r.side) == 1
    given_h = lemma_rewrite_rules("abs_of_nonneg h", goal, _ctx())
    assert len(given_h) == 1 and given_h[0].side == () and given_h[0].metas == frozenset()
    iff = lemma_rewrite_rules("sub_nonneg", goal, _ctx())
    assert all(r.is_iff and r.metas == frozenset({"?a", "?b"}) for r in iff)
    fact = lemma_rewrite_rules("sq_nonneg x", goal, _ctx())
    assert fact[0].is_iff and str(fact[0].rhs) == "Bool_(value=True)"
    hyp = lemma_rewrite_rules("h", goal, _ctx())
    assert hyp[0].is_iff and hyp[0].side == ()


# ---- soundness ------------------------------------------------------------------------

TERM_BATTERY = (
    "exact le_of_sub_nonneg (by linarith)",
    "apply le_of_sub_nonneg; linarith",
    "exact le_trans h (by linarith)",
    "exact sub_nonneg.mp (by linarith)",
    "nlinarith [sq_nonneg (a - b), sub_nonneg.2 h]",
    "exact le_of_lt (by linarith)",
    "apply le_of_lt; linarith",
    "exact (sub_nonneg.1 (by nlinarith))",
    "have := sub_nonneg.2 h; linarith",
    "exact le_of_eq (by linarith)",
)


@settings(max_examples=12, deadline=None)
@given(st.integers(-3, 3))
def test_lemma_terms_close_only_true_statements(k):
    statement = f"(a b : ℝ) (h : a ≤ b + {k}) : a ≤ b" if k >= 0 else f"(a b : ℝ) (h : a ≤ b - {-k}) : a ≤ b"
    proved = [t for t in TERM_BATTERY if run(statement, t) == "proved"]
    if k > 0:
        assert proved == [], proved
    else:
        assert proved, "the battery should prove the true cases"


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5))
def test_apply_with_numeric_side_conditions_is_sound(p, q):
    statement = f"(a : ℝ) (ha : 0 < a) : a / {p} ≤ a / {q}"
    out = run(statement, "apply div_le_div_of_le_left ha.le (by norm_num) (by norm_num)")
    assert (out == "proved") == (q <= p)
    out = run(statement, "exact div_le_div_of_le_left ha.le (by norm_num) (by norm_num)")
    assert (out == "proved") == (q <= p)


def test_iff_lemma_in_parentheses_unifies_with_later_arguments():
    s = "(f : ℝ → ℝ) (x y : ℝ) (h2 : 0 < f x + y) (h4 : f x < f x + y) : f x / (f x + y) < 1"
    assert run(s, "exact (div_lt_one h2).mpr h4") == "proved"


def test_generalized_field_notation_on_hypotheses():
    assert run("(a b c : ℝ) (hh : 0 < a) (h1 : a ≤ b) (h2 : b ≤ c) : 0 < c",
               "exact hh.trans_le (h1.trans h2)") == "proved"
    assert run("(a b : ℝ) (h1 : a ≤ b) (h2 : b ≤ a) : a = b", "exact h1.antisymm h2") == "proved"
    assert run("(n : ℕ) (hn : 0 < 0) : n = 5", "exact (lt_irrefl 0 hn).elim") == "proved"
    out = run("(a b c : ℝ) (hh : 0 < a) (h1 : a ≤ b) (h2 : c ≤ b) : 0 < c", "exact hh.trans_le (h1.trans h2)")
    assert isinstance(out, str) and out.startswith("error")


def test_closed_nat_arithmetic_is_definitional():
    s = "(a : ℕ → ℝ) (H : ∀ k : ℕ, |a k - a (k + 1)| = 1) : |a 0 - a {}| = 1"
    assert run(s.format(1), "exact H 0") == "proved"
    assert run(s.format(2), "exact H 0").startswith("error: type mismatch")


def test_pipelines_and_or_resolution():
    s = "(a b c : ℝ) (hc : 0 < c) (h : a * c ≤ b) : a ≤ b / c"
    assert run(s, "exact le_div_iff hc |>.mpr h") == "proved"
    assert run(s, "exact (le_div_iff hc).mpr <| h") == "proved"
    assert run("(x : ℝ) (h : x = 1 ∨ x = 2) (h1 : x ≠ 1) : x = 2", "exact h.resolve_left h1") == "proved"
    out = run("(x : ℝ) (h : x = 1 ∨ x = 2) (h1 : x ≠ 2) : x = 2", "exact h.resolve_right h1")
    assert out.startswith("error: type mismatch")


def test_refine_with_lemma_holes():
    s = "(a b : ℝ) (ha : 0 < a) (hb : 0 < b) : 0 < a * b"
    assert run(s, "refine mul_pos ?_ hb", "exact ha") == "proved"
    assert [g.rsplit("⊢ ", 1)[1] for g in run(s, "refine' mul_pos _ _")] == ["0 < a", "0 < b"]
    assert run(s, "refine mul_pos _ _").startswith("error: don't know how to synthesize placeholder")
    assert "cannot infer" in run("(a b c : ℝ) (h : a ≤ b) (h2 : b ≤ c) : a ≤ c", "refine le_trans ?_ ?_")


def test_projections_of_lemmas_take_the_arguments():
    assert run("(c : ℝ) (h : 1 ≤ c) : 0 < c", "exact zero_lt_one.trans_le h") == "proved"
    assert run("(c : ℝ) (h : 1 < c) : 0 < c", "exact two_pos.trans h").startswith("error")
    assert run("(a b : ℝ) (h : a ≠ b) : b ≠ a", "exact Ne.symm h") == "proved"


def test_open_namespaces_of_real_proofs():
    # the Lean Workbook / miniF2F header opens Real and Nat
    assert run("(m n : ℕ) (h : m < n + 1) : m ≤ n", "exact le_of_lt_succ h") == "proved"
    assert run("(x : ℝ) (h : 0 < x) : 0 < Real.sqrt x", "exact sqrt_pos.2 h") == "proved"
    assert "unknown identifier" in run("(m n : ℕ) (h : m < n + 1) : m ≤ n", "exact le_of_lt_succc h")


def test_apply_with_projected_lemmas():
    s = "(a b c : ℝ) (h : 0 < c) (hab : a ≤ b) : c * a ≤ c * b"
    assert run(s, "apply (mul_le_mul_left h).mpr", "exact hab") == "proved"
    assert run(s.replace("a ≤ b)", "b ≤ a)"), "apply (mul_le_mul_left h).mpr hab").startswith("error")
    goals = run("(c : ℝ) (h : 1 ≤ c) : 0 < c", "apply zero_lt_one.trans_le")
    assert [g.rsplit("⊢ ", 1)[1] for g in goals] == ["1 ≤ c"] and "_dot" not in goals[0]
