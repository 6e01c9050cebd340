"""Soundness: no tactic (or combination) closes a false goal.

Statements are generated with a known truth value; every tactic of a broad battery is
applied, and a ``Proved`` outcome on a false statement is a failure."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from qed.core import Goals, Proved, Theorem
from qed.env.sandbox.env import SandboxEnv

ENV = SandboxEnv(tactic_timeout_s=2.0)
BATTERY = (
    "linarith", "nlinarith", "norm_num", "simp", "omega", "positivity", "decide", "ring", "ring_nf",
    "assumption", "contradiction", "trivial", "rfl", "constructor <;> linarith", "norm_num <;> linarith",
    "nlinarith [sq_nonneg (x - 1), sq_nonneg (x + 1)]", "exact h", "first | linarith | norm_num",
    "interval_cases x", "push_neg; linarith", "by_contra h'; linarith", "rw [h]", "subst h; norm_num",
    "all_goals norm_num", "repeat norm_num",
)


def proved_by(statement: str) -> list[str]:
    state = ENV.start(Theorem("t", f"theorem t {statement} := by"))
    return [tac for tac in BATTERY if isinstance(ENV.apply(state, 0, tac), Proved)]


def closes_after(statement: str, first: str) -> list[str]:
    """Tactics closing every goal left after ``first`` (two-step combinations)."""
    state = ENV.start(Theorem("t", f"theorem t {statement} := by"))
    r = ENV.apply(state, 0, first)
    if isinstance(r, Proved):
        return [first]
    if not isinstance(r, Goals):
        return []
    return [tac for tac in BATTERY if isinstance(ENV.apply(r.state, 0, tac), Proved)
            and len(r.state.goals) == 1]


coef = st.integers(min_value=-9, max_value=9).filter(lambda c: c != 0)
small = st.integers(min_value=-20, max_value=20)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(a=coef, b=small, c=small, d=small)
def test_linear_real_equations(a, b, c, d):
    true = Fraction(c - b, a) == d
    statement = f"(x : ℝ) (h : {a} * x + {b} = {c}) : x = {d}"
    proofs = proved_by(statement)
    assert true or not proofs, f"false goal {statement} closed by {proofs}"
    assert not true or "linarith" in proofs


@settings(max_examples=30, deadline=None, derandomize=True)
@given(k=st.integers(min_value=1, max_value=12), m=st.integers(min_value=0, max_value=12),
       op=st.sampled_from(["<", "≤", "=", "≠"]))
def test_bounded_nat_goals(k, m, op):
    values = range(0, k)
    holds = {"<": lambda v: v < m, "≤": lambda v: v <= m, "=": lambda v: v == m, "≠": lambda v: v != m}[op]
    true = all(holds(v) for v in values)
    statement = f"(x : ℕ) (h : x < {k}) : x {op} {m}"
    proofs = proved_by(statement)
    assert true or not proofs, f"false goal {statement} closed by {proofs}"
    assert not true or "omega" in proofs


@settings(max_examples=20, deadline=None, derandomize=True)
@given(p=small, q=small, r=small)
def test_ground_real_statements(p, q, r):
    true = p * q + r == 7
    statement = f": ({p} : ℝ) * {q} + {r} = 7"
    proofs = proved_by(statement)
    assert true or not proofs, f"false goal {statement} closed by {proofs}"
    assert not true or "norm_num" in proofs


def test_false_structural_goals_are_not_closed():
    cases = [
        "(x y : ℝ) (h : x < y) : y < x",
        "(x : ℝ) (h : 0 ≤ x) : 0 < x",
        "(x y : ℝ) (h : x = y) : x = y + 1",
        "(x : ℝ) (h : x ^ 2 = 4) : x = 2",
        "(x : ℝ) : ∃ y : ℝ, y ^ 2 < 0",
        "(x : ℕ) (h : x - 3 = 0) : x = 3",
        "(x : ℝ) : x / x = 1",
        "(x : ℤ) (h : x % 2 = 1) : x % 4 = 1",
    ]
    for statement in cases:
        assert proved_by(statement) == [], statement
        for first in ("constructor", "intro y", "norm_num", "push_neg", "use 0", "by_contra h'", "exfalso"):
            assert closes_after(statement, first) == [], (statement, first)
