"""Tactics on the competition notions: ground predicates, memberships, congruences and
functions are decided by ``norm_num``/``simp``/``decide`` exactly (``decide`` only where
Lean's kernel computes: nothing over ℝ), false ones are never closed, and sums with
symbolic bounds are proved by induction with ``Finset.sum_range_succ``.

The truth of each random statement is computed here independently (``math``, ``sympy``).
"""

from __future__ import annotations

import math

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qed.core import Goals, Proved, TacticError, Theorem
from qed.env.sandbox.env import SandboxEnv

ENV = SandboxEnv(tactic_timeout_s=5.0)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLOSERS = ("norm_num", "simp", "decide", "omega", "linarith", "norm_num [Nat.Prime]", "simp_all", "rfl")


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


def check(prop: str, truth: bool, *, kernel: bool = True) -> None:
    """A true ``prop`` is closed by ``norm_num`` (and ``decide`` when ``kernel``); a false
    one by no closer, and its negation is closed by ``norm_num``."""
    if truth:
        assert proves(f": {prop}", "norm_num"), f"norm_num did not close the true {prop}"
        assert proves(f": {prop}", "decide") == kernel, f"decide on {prop}"
        assert not proves(f": ¬({prop})", "norm_num")
    else:
        for tac in CLOSERS:
            assert not proves(f": {prop}", tac), f"{tac} closed the false statement {prop}"
        assert proves(f": ¬({prop})", "norm_num"), f"norm_num did not refute {prop}"


def digit_sum(b: int, n: int) -> int:
    s = 0
    while n:
        n, r = divmod(n, b)
        s += r
    return s


# ---- random ground statements ----------------------------------------------------------------

offset = st.sampled_from([0, 0, 0, 1, -1, 2, 7])


@SETTINGS
@given(st.integers(0, 400))
def test_primes(n):
    truth = bool(sympy.isprime(n))
    check(f"Nat.Prime {n}", truth)
    check(f"¬ Nat.Prime {n}", not truth)


@SETTINGS
@given(st.integers(0, 200), st.integers(0, 200), offset)
def test_gcd_lcm(a, b, d):
    v = math.gcd(a, b) + d
    if v >= 0:
        check(f"Nat.gcd {a} {b} = {v}", d == 0)
    w = (a * b // math.gcd(a, b) if a and b else 0) + d
    if w >= 0:
        check(f"Nat.lcm {a} {b} = {w}", d == 0)


@SETTINGS
@given(st.integers(0, 12), st.integers(0, 14), offset)
def test_factorial_choose(n, k, d):
    check(f"Nat.factorial {n} = {math.factorial(n) + d}", d == 0)
    c = (math.comb(n, k) if k <= n else 0) + d
    if c >= 0:
        check(f"Nat.choose {n} {k} = {c}", d == 0)


@SETTINGS
@given(st.integers(0, 10**6), st.integers(2, 16), offset)
def test_digits(n, b, d):
    v = digit_sum(b, n) + d
    if v >= 0:
        check(f"(Nat.digits {b} {n}).sum = {v}", d == 0)


@SETTINGS
@given(st.integers(0, 30), st.integers(0, 5), offset)
def test_sums(n, c, d):
    v = sum(k * k + c for k in range(n)) + d
    if v >= 0:
        check(f"∑ k in Finset.range {n}, (k ^ 2 + {c}) = {v}", d == 0)
    check(f"∏ k in Finset.Icc 1 {min(n, 8)}, (k : ℤ) = {math.factorial(min(n, 8)) + d}", d == 0)


@SETTINGS
@given(st.integers(-60, 60), st.integers(1, 9), offset)
def test_floors(p, q, d):
    v = p // q + d  # Python's // is floor division, as ⌊·⌋
    check(f"⌊({p} : ℝ) / {q}⌋ = {v}", d == 0, kernel=False)
    check(f"⌈({p} : ℝ) / {q}⌉ = {-((-p) // q) + d}", d == 0, kernel=False)


@SETTINGS
@given(st.integers(0, 300), st.integers(0, 300), st.integers(0, 12))
def test_congruences(a, b, m):
    truth = a == b if m == 0 else a % m == b % m
    check(f"{a} ≡ {b} [MOD {m}]", truth)
    check(f"({a - 150} : ℤ) ≡ {b} [ZMOD {m}]", (a - 150 - b) % m == 0 if m else a - 150 == b)


@SETTINGS
@given(st.integers(-100, 100))
def test_parity(n):
    if n >= 0:
        check(f"Even {n}", n % 2 == 0)
        check(f"Odd {n}", n % 2 == 1)
    check(f"Even ({n} : ℤ)", n % 2 == 0)
    check(f"Odd ({n} : ℤ)", n % 2 == 1)


@SETTINGS
@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40))
def test_membership(x, a, b):
    check(f"{x} ∈ Finset.Icc {a} {b}", a <= x <= b)
    check(f"{x} ∉ Finset.range {b}", not x < b)
    check(f"{x} ∈ Nat.divisors {a}", a != 0 and x != 0 and a % x == 0)


# ---- behaviour ---------------------------------------------------------------------------------


@pytest.mark.parametrize("prop", [
    "Nat.Prime 97", "¬ Nat.Prime 91", "Nat.gcd 180 168 = 12", "Nat.factorial 5 = 120",
    "∑ k in Finset.range 11, k = 55", "(Nat.digits 10 123).sum = 6", "17 ≡ 2 [MOD 5]", "Even 10",
    "3 ∈ Finset.Icc 1 5", "Nat.Coprime 8 9", "(Nat.divisors 12).card = 6",
    "3 ∈ Finset.filter (fun x => x % 2 = 1) (Finset.range 5)",
])
@pytest.mark.parametrize("tactic", ["norm_num", "simp", "decide"])
def test_examples_close(prop, tactic):
    assert proves(f": {prop}", tactic)


@pytest.mark.parametrize("prop", ["⌊(7 : ℝ) / 2⌋ = 3", "((3 : ℕ) : ℝ) = 3", "Even ⌊(9 : ℝ) / 2⌋"])
def test_decide_refuses_reals(prop):
    """Over ℝ nothing is kernel-computable: ``decide`` fails where ``norm_num`` closes."""
    assert proves(f": {prop}", "norm_num")
    r = outcome(f": {prop}", "decide")
    assert isinstance(r, TacticError) and "Decidable" in r.message


def test_false_ground_fact_in_hypothesis_closes():
    assert proves("(x : ℕ) (h : Nat.Prime 91) : x = 7", "norm_num at h")
    assert proves("(x : ℕ) (h : 17 ≡ 3 [MOD 5]) : x = 7", "simp at h")
    assert not proves("(x : ℕ) (h : Nat.Prime 97) : x = 7", "norm_num at h")


def test_simp_only_does_not_decide_predicates():
    assert not proves(": Nat.Prime 97", "simp only []")


def test_norm_num_simplifies_ground_parts_of_symbolic_goals():
    r = outcome("(x : ℕ) (y : ℕ) : Nat.factorial 4 * x + y = 24 * x + y", "norm_num")
    assert isinstance(r, Proved)
    r = outcome("(x : ℕ) (h : x = Nat.choose 5 2) : x + Nat.gcd 12 18 = 16", "norm_num", "omega")
    assert isinstance(r, Proved)


IND = "induction n with\n  | zero => simp\n  | succ k ih =>\n    "
SUM_INDUCTION = [
    ("∑ i in Finset.range n, (2 * i + 1) = n ^ 2",
     "induction n with\n  | zero => simp\n  | succ k ih => rw [Finset.sum_range_succ, ih]; ring"),
    ("2 * ∑ i in Finset.range (n + 1), i = n * (n + 1)",
     IND + "rw [Finset.sum_range_succ, mul_add, ih]\n    ring"),
    ("∑ i in Finset.range (n + 1), (i : ℚ) = n * (n + 1) / 2",
     IND + "rw [Finset.sum_range_succ, ih]\n    push_cast\n    ring"),
    ("∑ i in Finset.range n, (2 : ℤ) ^ i = 2 ^ n - 1",
     IND + "rw [Finset.sum_range_succ, ih]\n    ring"),
]


@pytest.mark.parametrize("statement,proof", SUM_INDUCTION)
def test_sum_induction(statement, proof):
    assert proves(f"(n : ℕ) : {statement}", proof)


def test_sum_induction_false_identity_fails():
    proof = SUM_INDUCTION[0][1]
    assert not proves("(n : ℕ) : ∑ i in Finset.range n, (2 * i + 1) = n ^ 2 + 1", proof)
    assert not proves("(n : ℕ) : ∑ i in Finset.range n, (2 * i + 3) = n ^ 2", proof)


def test_sum_pieces():
    assert proves("(f : ℕ → ℕ) : ∑ i in Finset.range 0, f i = 0", "simp")
    assert proves("(n : ℕ) : ∑ i in Finset.range 0, (2 * i + n) = 0", "simp")
    step = "∑ i in Finset.range (n + 1), (2 * i + 1) = ∑ j in Finset.range n, (2 * j + 1) + (2 * n + 1)"
    assert proves(f"(n : ℕ) : {step}", "rw [Finset.sum_range_succ]")
    assert proves(f"(n : ℕ) : {step}", "simp [Finset.sum_range_succ]")


def test_ring_treats_sums_as_atoms_up_to_renaming():
    assert proves("(n : ℕ) : ∑ i in Finset.range n, (i : ℚ) + 1 = 1 + ∑ j in Finset.range n, (j : ℚ)", "ring")
    assert proves("(n : ℕ) : ∑ i in Finset.range n, (i : ℚ) + 1 = 1 + ∑ j in Finset.range n, (j : ℚ)",
                  "linarith")
    # different bodies are different atoms (Lean's ring needs Finset.mul_sum here)
    assert not proves("(n : ℕ) : ∑ i in Finset.range n, i * 2 = 2 * ∑ j in Finset.range n, j", "ring")
    assert not proves("(n : ℕ) : ∑ i in Finset.range n, i = ∑ j in Finset.range (n + 1), j", "ring")


def test_set_builder_membership_and_pow_mod():
    assert proves(": (39 : ℕ) ∈ {x : ℕ | 30 * x ≡ 42 [MOD 47]}", "norm_num")
    assert not proves(": (38 : ℕ) ∈ {x : ℕ | 30 * x ≡ 42 [MOD 47]}", "norm_num")
    assert proves(": 5 ^ 999999 % 7 = 6", "norm_num")
    assert not proves(": 5 ^ 999999 % 7 = 5", "norm_num")
    assert proves(": (-5 : ℤ) ^ 999999 % 7 = 1", "norm_num")


def test_simp_rewrites_forall_hints_under_sum_binders():
    stmt = "(v : ℕ → ℕ) (h₀ : ∀ n, v n = 2 * n - 1) : (∑ k in Finset.Icc 1 100, v k) % 7 = {}"
    assert proves(stmt.format(4), "norm_num [h₀]")
    assert proves(stmt.format(4), "simp_all")
    assert not proves(stmt.format(5), "norm_num [h₀]")
    # the hint's free `k` would be captured by the binder `k`: not rewritten there
    assert not proves("(k : ℕ) (v : ℕ → ℕ) (h₀ : ∀ n, v n = 2 * n - k) : (∑ k in Finset.Icc 1 3, v k) = 6",
                      "simp [h₀]")


def test_ring_symbolic_exponents():
    assert proves("(k : ℕ) : (2 : ℤ) ^ k - 1 + 2 ^ k = 2 ^ (k + 1) - 1", "ring")
    assert proves("(k : ℕ) (x : ℝ) : x ^ (2 * k + 3) = x ^ k * x ^ (k + 1) * x ^ 2", "ring")
    assert not proves("(k : ℕ) (x : ℝ) : x ^ (2 * k + 3) = x ^ k * x ^ (k + 1) * x ^ 3", "ring")


def test_conditional_forall_hints_discharged_by_deciding_the_condition():
    stmt = ("(f : ℤ → ℤ) (h₀ : ∀ n, Odd n → f n = n ^ 2) (h₁ : ∀ n, Even n → f n = n ^ 2 - 4 * n - 1) : "
            "f 4 = {}")
    assert proves(stmt.format(-1), "norm_num [h₀, h₁]")
    assert proves(stmt.format(-1), "simp_all")
    assert not proves(stmt.format(16), "norm_num [h₀, h₁]")  # h₀'s condition Odd 4 is false
    assert not proves(stmt.format(16), "simp_all")


def test_hypotheses_are_not_used_on_bound_variables_of_the_same_name():
    assert not proves("(k : ℕ) (h : Nat.Prime k) : ∀ k : ℕ, Nat.Prime k", "simp [h]")
    assert not proves("(k : ℕ) (h : Nat.Prime k) : ∀ k : ℕ, Nat.Prime k", "norm_num [h]")
    stmt = "(k : ℕ) (h : ∑ i in Finset.range k, i = 10) : "\
           "∑ k in Finset.range 3, ∑ i in Finset.range k, i = 30"
    assert not proves(stmt, "simp [h]")
    assert not proves(stmt, "simp_all")
    assert proves("(k : ℕ) (h : Nat.Prime k) : Nat.Prime k ∧ True", "simp [h]")
    g = "(k : ℕ) (g : ℕ → ℕ → ℕ) (h₀ : ∀ n, g k n = 0) : ∑ k in Finset.range 3, g k 1 = 0"
    assert not proves(g, "simp [h₀]")
    renamed = g.replace("(k : ℕ)", "(j : ℕ)").replace("g k n", "g j n").replace("g k 1", "g j k")
    assert proves(renamed, "simp [h₀]")


def test_hypotheses_rewrite_inside_sum_domains():
    assert proves("(a : ℕ) (h₀ : a = ∑ k in Nat.divisors 500, k) : "
                  "∑ k in Finset.filter (fun x => Nat.Prime x) (Nat.divisors a), k = 25", "simp_all")


def test_norm_num_expands_small_ground_big_operators():
    assert proves("(f : ℕ → ℕ) : ∑ i in Finset.range 3, f i = f 0 + f 1 + f 2", "simp")
    assert proves("(x : ℝ) : ∑ i in Finset.range 3, x ^ i = 1 + x + x ^ 2", "norm_num")
    assert proves("(x : ℝ) : ∏ i in Finset.Icc (1 : ℕ) 2, (x + i) = (x + 1) * (x + 2)", "norm_num")
    assert not proves("(x : ℝ) : ∑ i in Finset.range 3, x ^ i = 1 + x + x ^ 3", "norm_num")
    assert not proves("(f : ℕ → ℕ) : ∑ i in Finset.range 3, f i = f 1 + f 2 + f 3", "simp")


def test_runaway_unfolding_fails_instead_of_growing():
    stmt = ("(x : ℕ → ℤ) (h₀ : x 1 = 211) (h₂ : x 2 = 375) (h₃ : x 3 = 420) (h₄ : x 4 = 523) "
            "(h₆ : ∀ n ≥ 5, x n = x (n - 1) - x (n - 2) + x (n - 3) - x (n - 4)) : x 531 + x 753 = 898")
    r = outcome(stmt, "simp_all")
    assert isinstance(r, TacticError) and "maximum recursion depth" in r.message
