"""Soundness of field_simp, simp_all/simpa, the cast tactics, linear_combination, gcongr
and the conjunction-splitting of linarith: statements with a known truth value (many
false, with a concrete counterexample) must never be closed, alone or followed by a
closing tactic; true ones are checked for the intended proof where it is decidable."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from qed.core import Goals, Proved, Theorem
from qed.env.sandbox.env import SandboxEnv

ENV = SandboxEnv(tactic_timeout_s=2.0)
CLOSERS = ("ring", "linarith", "nlinarith", "norm_num", "simp", "positivity", "omega", "assumption",
           "rfl", "field_simp", "simp_all", "norm_cast", "push_cast", "gcongr")


def start(statement: str):
    return ENV.start(Theorem("t", f"theorem t {statement} := by"))


def closes(statement: str, first: str) -> list[str]:
    """``first`` alone, or ``first`` then one closer on every goal left: what closes it."""
    state = start(statement)
    r = ENV.apply(state, 0, first)
    if isinstance(r, Proved):
        return [first]
    if not isinstance(r, Goals):
        return []
    out = []
    for tac in CLOSERS:
        s = r.state
        ok = True
        while ok and s.goals and len(s.goals) <= 4:
            r2 = ENV.apply(s, 0, tac)
            if isinstance(r2, Proved):
                s = None
                break
            ok = isinstance(r2, Goals) and len(r2.state.goals) < len(s.goals)
            s = r2.state if ok else s
        if s is None:
            out.append(f"{first}; {tac}")
    return out


ints = st.integers(min_value=-6, max_value=6)
nonzero = ints.filter(lambda c: c != 0)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(a=nonzero, b=nonzero, k=ints, with_hyp=st.booleans())
def test_field_simp_needs_nonzero_denominators(a, b, k, with_hyp):
    # a / (x - k) + b = (a + b (x - k)) / (x - k) fails at x = k (lhs b, rhs 0) unless x ≠ k
    hyp = f"(hx : x - {k} ≠ 0) " if with_hyp else ""
    stmt = f"(x : ℝ) {hyp}: {a} / (x - {k}) + {b} = ({a} + {b} * (x - {k})) / (x - {k})".replace("- -", "+ ")
    proofs = closes(stmt, "field_simp")
    assert with_hyp or not proofs, f"false goal {stmt} closed by {proofs}"
    if with_hyp:
        assert proofs, f"true goal {stmt} not proved by field_simp; ring"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(a=ints, b=ints, pos=st.booleans())
def test_field_simp_inequalities(a, b, pos):
    # ∀ x > 0, a / x ≤ b  iff  a ≤ 0 ≤ b;  without 0 < x it is false whenever a ≠ 0 or b < 0
    hyp = "(hx : 0 < x) " if pos else ""
    true = (a <= 0 <= b) if pos else (a == 0 and b >= 0)
    stmt = f"(x : ℝ) {hyp}: {a} / x ≤ {b}"
    for first in ("field_simp", "field_simp [hx.ne']" if pos else "field_simp"):
        proofs = closes(stmt, first)
        assert true or not proofs, f"false goal {stmt} closed by {proofs}"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(k=st.integers(min_value=0, max_value=4), m=st.integers(min_value=0, max_value=6),
       tac=st.sampled_from(["push_cast", "push_cast [h]", "zify", "zify [h]", "norm_cast", "exact_mod_cast h",
                            "assumption_mod_cast", "qify [h]"]))
def test_nat_subtraction_casts(k, m, tac):
    # ↑(a - m) = ↑a - m holds in ℤ iff m ≤ a; the hypothesis gives only k ≤ a
    stmt = f"(a : ℕ) (h : {k} ≤ a) : ((a - {m} : ℕ) : ℤ) = (a : ℤ) - {m}"
    true = m <= k
    proofs = closes(stmt, tac)
    assert true or not proofs, f"false goal {stmt} closed by {proofs}"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(k=st.integers(min_value=-3, max_value=3), m=st.integers(min_value=0, max_value=3),
       tac=st.sampled_from(["exact_mod_cast h", "assumption_mod_cast", "norm_cast at h ⊢", "push_cast at h ⊢",
                            "zify at h ⊢", "zify"]))
def test_casts_of_differences(k, m, tac):
    stmt = f"(a b : ℕ) (h : (a : ℤ) - b = {k}) : a - b = {m}"
    true = (m == k) if k >= 0 else (m == 0)
    proofs = closes(stmt, tac)
    assert true or not proofs, f"false goal {stmt} closed by {proofs}"


@settings(max_examples=40, deadline=None, derandomize=True)
@given(p=ints, q=ints, r=ints, c1=st.sampled_from(["1", "2", "1 / 2", "-1", "0", "x", "(1 - y)"]),
       c2=st.sampled_from(["1", "2", "1 / 2", "-1 / 2", "0", "y"]), exp=st.sampled_from([None, 1, 2]))
def test_linear_combination_coefficients(p, q, r, c1, c2, exp):
    stmt = f"(x y : ℝ) (h₁ : x + y = {p}) (h₂ : x - y = {q}) : x = {r}"
    true = Fraction(p + q, 2) == r
    opt = f"(exp := {exp}) " if exp else ""
    tac = f"linear_combination {opt}{c1} * h₁ + {c2} * h₂"
    proved = isinstance(ENV.apply(start(stmt), 0, tac), Proved)
    assert true or not proved, f"false goal {stmt} closed by {tac}"
    if true and exp is None:
        assert isinstance(ENV.apply(start(stmt), 0, "linear_combination (h₁ + h₂) / 2"), Proved)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(c=ints, k=ints, shape=st.sampled_from(["mul_left", "mul_var", "div_var", "pow", "sub"]))
def test_gcongr_signs(c, k, shape):
    if shape == "mul_left":  # c * a ≤ c * b for all a ≤ b iff c ≥ 0
        stmt, true = f"(a b : ℝ) (h : a ≤ b) : {c} * a ≤ {c} * b", c >= 0
    elif shape == "mul_var":  # a * x ≤ b * x with only x ≤ k: x may be negative, so false
        stmt, true = f"(a b x : ℝ) (h : a < b) (hx : x ≤ {k}) : a * x ≤ b * x", False
    elif shape == "div_var":
        stmt, true = f"(a b x : ℝ) (h : a < b) (hx : x ≤ {k}) : a / x ≤ b / x", False
    elif shape == "pow":  # a ^ 2 ≤ b ^ 2 from a ≤ b needs 0 ≤ a; with a ≥ k it holds iff k ≥ 0
        stmt, true = f"(a b : ℝ) (h : a ≤ b) (ha : {k} ≤ a) : a ^ 2 ≤ b ^ 2", k >= 0
    else:  # c - a < c - b iff b < a
        stmt, true = f"(a b : ℝ) (h : a < b) : {c} - a < {c} - b", False
    proofs = closes(stmt, "gcongr")
    assert true or not proofs, f"false goal {stmt} closed by {proofs}"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(a=ints, b=ints, c=ints, tac=st.sampled_from(["simp_all", "simp_all only [h]", "simpa using h2",
                                                    "simpa [h] using h2", "simp_all <;> linarith"]))
def test_simp_all_and_simpa(a, b, c, tac):
    stmt = f"(x y : ℝ) (h : x = {a}) (h2 : x + {b} = y) : y = {c}"
    true = a + b == c
    proofs = closes(stmt, tac)
    assert true or not proofs, f"false goal {stmt} closed by {proofs}"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(a=ints, b=ints, c=ints)
def test_linarith_split_conjunctions(a, b, c):
    # x > a ∧ y > b gives x + y > c for all such x, y iff c ≤ a + b
    stmt = f"(x y : ℝ) (h : x > {a} ∧ (y > {b} ∧ True)) : x + y > {c}"
    true = c <= a + b
    for tac in ("linarith", "nlinarith"):
        proved = isinstance(ENV.apply(start(stmt), 0, tac), Proved)
        assert proved == true, f"{tac} on {stmt}: proved={proved}, true={true}"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(k=ints, tac=st.sampled_from(["simp [abs_of_nonneg]", "simp_all only [abs_of_nonneg]",
                                    "simp [abs_of_nonneg, h]", "norm_num [abs_of_nonneg]",
                                    "simp_all [abs_of_nonneg, sub_nonneg]",
                                    "simp only [abs_of_nonneg, abs_of_nonpos]"]))
def test_conditional_simp_lemmas_need_their_side_condition(k, tac):
    # |a - 1| = a - 1 for all a ≥ k iff k ≥ 1 (abs_of_nonneg needs 0 ≤ a - 1)
    stmt = f"(a : ℝ) (h : {k} ≤ a) : |a - 1| = a - 1"
    proofs = closes(stmt, tac)
    assert k >= 1 or not proofs, f"false goal {stmt} closed by {proofs}"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(a=ints, b=ints, extra=st.booleans())
def test_omega_with_products(a, b, extra):
    # (x + 1) * (y + 1) = x * y + x + y + 1: determined only when the hypothesis has x + y
    hyp = f"x * y + x + y = {a}" if extra else f"x * y = {a}"
    stmt = f"(x y : ℤ) (h : {hyp}) : (x + 1) * (y + 1) = {b}"
    true = extra and b == a + 1
    proved = isinstance(ENV.apply(start(stmt), 0, "omega"), Proved)
    assert proved == true, f"omega on {stmt}: proved={proved}, true={true}"


@settings(max_examples=40, deadline=None, derandomize=True)
@given(a=ints, b=ints, c=ints, nonzero_hyp=st.booleans(),
       tac=st.sampled_from(["field_simp at h", "field_simp at h ⊢", "field_simp [hx] at h",
                            "field_simp at *", "norm_num [div_eq_iff] at h",
                            "simp [div_eq_iff, eq_div_iff] at h", "simp_all [div_eq_iff]"]))
def test_field_simp_at_hypothesis(a, b, c, nonzero_hyp, tac):
    # solutions of a / x = b under Lean's x / 0 = 0; the goal x = c holds iff they are all c
    if nonzero_hyp:
        sols = [Fraction(a, b)] if a != 0 and b != 0 else []
    elif a == 0:
        sols = None if b == 0 else []  # None: every x
    else:
        sols = [Fraction(0)] if b == 0 else [Fraction(a, b)]
    true = sols is not None and all(s == c for s in sols)
    hx = "(hx : x ≠ 0) " if nonzero_hyp else "(hx : True) "
    stmt = f"(x : ℝ) {hx}(h : {a} / x = {b}) : x = {c}"
    proofs = closes(stmt, tac)
    assert true or not proofs, f"false goal {stmt} closed by {proofs}"


@settings(max_examples=30, deadline=None, derandomize=True)
@given(a=nonzero, b=nonzero, k=ints, k2=ints, op=st.sampled_from(["≠", "<", ">"]))
def test_field_simp_disequality_must_name_the_denominator(a, b, k, k2, op):
    # x R k2 excludes x = k (the zero of the denominator) only when k2 = k
    stmt = f"(x : ℝ) (hx : x {op} {k2}) : {a} / (x - {k}) + {b} = ({a} + {b} * (x - {k})) / (x - {k})"
    true = k2 == k or (op == "<" and k2 <= k) or (op == ">" and k2 >= k)
    proofs = closes(stmt, "field_simp")
    assert true or not proofs, f"false goal {stmt} closed by {proofs}"
